/**
 * A run survives the server being killed: `keel start` runs as a child process, a run waits on
 * a timer, the server is SIGKILLed, started again, and the run finishes.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { makeFlow, tempDir } from "../support/keel.ts";
import { killAll, startKeelProcess } from "../support/keel-process.ts";

const data = tempDir();
const children: ChildProcess[] = [];

afterAll(() => {
  killAll(children);
  data.cleanup();
});

const startKeel = () => startKeelProcess(data.dir, children);

test("a run waiting on a timer finishes after the server is SIGKILLed and started again", async () => {
  const first = await startKeel();
  const token = fs.readFileSync(path.join(data.dir, "token"), "utf8").trim();
  expect(first.out()).toContain(`Access token: ${token}`);
  expect(fs.statSync(path.join(data.dir, "token")).mode & 0o777).toBe(0o600);
  const flow = makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "nap", type: "wait.timer", params: { ms: 3000 } },
      { id: "after", type: "transform", params: { set: { woke: "{{ nodes.nap.output.waitedMs }}" } } },
    ],
    [
      ["start", "nap"],
      ["nap", "after"],
    ],
    { id: "nap", name: "Nap" },
  );
  expect((await first.call("POST", "flows", flow)).status).toBe(201);
  const { runId } = (await first.call("POST", "flows/nap/runs", {})).json;
  for (let i = 0; (await first.call("GET", `runs/${runId}`)).json.run.status !== "waiting"; i++) {
    if (i > 100) throw new Error("the run never started waiting");
    await new Promise((r) => setTimeout(r, 50));
  }

  first.child.kill("SIGKILL");
  await first.exited;
  expect(fs.existsSync(path.join(data.dir, "owner.lock"))).toBe(true); // left behind by the dead process

  const restartedAt = Date.now();
  const second = await startKeel();
  let run: any;
  for (let i = 0; i < 150; i++) {
    run = (await second.call("GET", `runs/${runId}`)).json.run;
    if (run.status !== "waiting" && run.status !== "running") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(run.status).toBe("succeeded");
  expect(run.output).toEqual({ after: { woke: 3000 } });
  expect(run.nodes.nap.status).toBe("succeeded");
  // the timer fired in the second server, not before the kill
  const { events } = (await second.call("GET", `runs/${runId}`)).json;
  expect(events.find((e: { type: string }) => e.type === "node.woken").ts).toBeGreaterThanOrEqual(restartedAt);

  // SIGTERM stops it cleanly: exit code 0 and the data folder's lock released
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
  expect(fs.existsSync(path.join(data.dir, "owner.lock"))).toBe(false);
}, 120_000);
