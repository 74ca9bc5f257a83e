/**
 * kill -9 of `keel start` while many runs are in flight: their events interleave in shared
 * segment files. After a restart every run finishes as an uninterrupted run would, no finished
 * node runs again, and every action's side effect happened exactly once.
 * Other seeds: KEEL_CRASH_MANY_SEEDS=8001,8002 npx vitest run test/crash/concurrent-kill.test.ts
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../runtime/result.ts";
import { startHttpRecorder } from "../support/http-recorder.ts";
import { killAll, startKeelProcess } from "../support/keel-process.ts";
import { tempDir, testKeel } from "../support/keel.ts";
import { progressOf, readRuns, resultOf, seededRandom } from "./harness.ts";
import { ACTION_PATHS, orderFlow } from "./order-flow.ts";

const RUNS = 12;
const inputs = Array.from({ length: RUNS }, (_, i) => ({ order: `C-${300 + i}`, amount: i % 2 ? 250 : 40, customer: `client${i}` }));
const children: ChildProcess[] = [];
afterAll(() => killAll(children));

/** What an uninterrupted run of each input ends with (the recorder's answers depend only on path and body). */
async function expectedResults(): Promise<Map<string, RunResult>> {
  const server = await startHttpRecorder();
  const keel = testKeel();
  try {
    const flow = orderFlow(server.url);
    const out = new Map<string, RunResult>();
    for (const input of inputs) out.set(input.order, await keel.coordinator.run(flow, input));
    return out;
  } finally {
    await keel.dispose();
    await server.close();
  }
}

describe("kill -9 of a server with runs in flight", () => {
  let expected: Map<string, RunResult>;

  const seeds = process.env.KEEL_CRASH_MANY_SEEDS?.split(",").map(Number) ?? [7101, 7102, 7103];
  for (const seed of seeds) {
    it(`seed ${seed}: every run finishes once, each side effect once`, async () => {
      expected ??= await expectedResults();
      const rng = seededRandom(seed);
      const killAfter = rng.int(2, 25); // requests after every run was started: the one during which the server dies
      let killAt = Infinity;
      let first: Awaited<ReturnType<typeof startKeelProcess>> | undefined;
      const server = await startHttpRecorder({
        delayMs: () => rng.int(1, 15),
        onRequest: () => {
          if (server.requests.length === killAt) first?.child.kill("SIGKILL");
        },
      });
      const { dir, cleanup } = tempDir("keel-crash-many-");
      try {
        const data = path.join(dir, "data");
        first = await startKeelProcess(data, children);
        expect((await first.call("POST", "flows", orderFlow(server.url))).status).toBe(201);
        const runIds = await Promise.all(
          inputs.map(async (input) => {
            const res = await first!.call("POST", "flows/crash-order/runs", { input });
            expect(res.status, JSON.stringify(res.json)).toBe(202);
            return res.json.runId as string;
          }),
        );
        killAt = server.requests.length + killAfter;
        const died = await Promise.race([first.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
        expect(died, `the server reached request ${killAt} and was killed`).toBe(true);
        const atKill = readRuns(data);
        const unfinished = atKill.filter((r) => !["succeeded", "failed"].includes(resultOf(r).status));
        expect(unfinished.length, "runs the kill interrupted").toBeGreaterThan(0);
        const segments = fs.readdirSync(path.join(data, "runs"), { recursive: true }).filter((f) => String(f).endsWith(".seg"));
        expect(segments.length, "runs share segment files").toBeLessThan(RUNS);

        server.setPhase("after restart");
        const second = await startKeelProcess(data, children);
        for (let i = 0; ; i++) {
          const { json } = await second.call("GET", "runs?flow=crash-order&limit=100");
          if (json.items.length === RUNS && json.items.every((r: { status: string }) => r.status === "succeeded")) break;
          if (i > 300) throw new Error(`runs did not finish after the restart: ${JSON.stringify(json.items.map((r: { status: string }) => r.status))}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        second.child.kill("SIGTERM");
        expect(await second.exited).toBe(0);

        const runs = readRuns(data);
        expect(runs.map((r) => r.runId).sort()).toEqual([...runIds].sort());
        let actions = 0;
        for (const run of runs) {
          const result = resultOf(run);
          const want = expected.get((run.events[0] as { input: { order: string } }).input.order)!;
          expect(result.status).toBe("succeeded");
          expect(result.output, run.runId).toEqual(want.output);
          const seen = new Set<string>();
          for (const e of run.events) {
            if (e.type === "node.started") expect(seen.has(e.node), `${run.runId}: ${e.node} started again after it succeeded`).toBe(false);
            if (e.type === "node.succeeded") seen.add(e.node);
          }
          expect([...progressOf(run.events).started.values()].every((n) => n >= 1)).toBe(true);
          for (const node of Object.keys(ACTION_PATHS)) {
            if (result.nodes[node]?.status !== "succeeded") continue;
            actions++;
            expect(server.effects.has(`keel:${run.runId}:${node}`), `${run.runId}: ${node} had no effect`).toBe(true);
          }
        }
        // one effect per action node that ran, and no key reused for a different request
        expect(server.effects.size).toBe(actions);
        expect(server.conflicts).toEqual([]);
      } finally {
        killAll(children);
        await server.close();
        cleanup();
      }
    }, 120_000);
  }
});
