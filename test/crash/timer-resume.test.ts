/**
 * A run waiting on a `wait.timer` is killed; `keel resume` waits only for the time that remains
 * (or fires at once when the deadline passed while Keel was down), and the action after the
 * timer runs exactly once.
 */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpRecorder, type HttpRecorder } from "../support/http-recorder.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { progressOf, readRuns, resultOf, runKeel } from "./harness.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function timerFlow(url: string, ms: number) {
  return makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "note", type: "transform", params: { set: { text: "Reminder for {{ input.client }}" } } },
      { id: "pause", type: "wait.timer", params: { ms } },
      { id: "send", type: "action.http", params: { url: `${url}/emails`, body: { subject: "{{ nodes.note.output.text }}" } } },
    ],
    [
      ["start", "note"],
      ["note", "pause"],
      ["pause", "send"],
    ],
    { id: "crash-timer", name: "Remind later" },
  );
}

describe("a durable timer across kill -9", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setUp(ms: number): Promise<{ server: HttpRecorder; flowFile: string; data: string }> {
    const server = await startHttpRecorder();
    const { dir, cleanup } = tempDir("keel-crash-timer-");
    cleanups.push(() => server.close(), cleanup);
    const flowFile = path.join(dir, "flow.json");
    fs.writeFileSync(flowFile, JSON.stringify(timerFlow(server.url, ms)));
    return { server, flowFile, data: path.join(dir, "data") };
  }

  /** Runs the flow and kills it while the timer waits; returns the recorded deadline. */
  async function killWhileWaiting(flowFile: string, data: string): Promise<{ waitingAt: number; until: number; logged: number }> {
    const out = await runKeel(["run", flowFile, "--input", '{"client":"Acme"}', "--data", data], {
      plan: { kind: "line", line: "⏸ pause waiting for timer", delayMs: 50 },
    });
    expect(out.killed, out.stderr).toBe(true);
    const [run] = readRuns(data);
    const waiting = run.events.find((e) => e.type === "node.waiting");
    expect(waiting?.type === "node.waiting" && waiting.wait.until).toBeTruthy();
    return { waitingAt: waiting!.ts, until: (waiting as { wait: { until: number } }).wait.until, logged: run.events.length };
  }

  function checkFinished(data: string, server: HttpRecorder, until: number) {
    const [run] = readRuns(data);
    const result = resultOf(run);
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ send: expect.objectContaining({ status: 200 }) });
    expect(result.nodes.pause.output).toEqual({ waitedMs: expect.any(Number) });
    const { started } = progressOf(run.events);
    expect(Object.fromEntries(started)).toEqual({ start: 1, note: 1, pause: 1, send: 1 });
    const woken = run.events.filter((e) => e.type === "node.woken");
    expect(woken).toHaveLength(1);
    expect(woken[0].ts).toBeGreaterThanOrEqual(until); // never early
    expect(server.effects.size).toBe(1);
    expect([...server.effects.values()][0].body).toBe(JSON.stringify({ subject: "Reminder for Acme" }));
    expect(server.requests.every((r) => r.at >= until)).toBe(true);
    return run;
  }

  it("waits only for what remains after a restart", async () => {
    const ms = 6000;
    const { server, flowFile, data } = await setUp(ms);
    const { waitingAt, until } = await killWhileWaiting(flowFile, data);
    expect(until - waitingAt).toBeGreaterThanOrEqual(ms - 50);
    await pause(waitingAt + 1500 - Date.now()); // Keel is down for a while
    const resumedAt = Date.now();
    const out = await runKeel(["resume", "--data", data]);
    expect(out.code, out.stderr).toBe(0);
    checkFinished(data, server, until);
    // a timer started afresh could not have fired before resumedAt + ms
    expect(server.requests[0].at).toBeLessThan(resumedAt + ms);
  }, 60_000);

  it("fires at once when the deadline passed while Keel was down", async () => {
    const ms = 1200;
    const { server, flowFile, data } = await setUp(ms);
    const { until, logged } = await killWhileWaiting(flowFile, data);
    await pause(until + 100 - Date.now());
    const out = await runKeel(["resume", "--data", data]);
    expect(out.code, out.stderr).toBe(0);
    const run = checkFinished(data, server, until);
    // the first thing the resume writes is the timer firing
    expect(run.events[logged]).toMatchObject({ type: "node.woken", node: "pause", timedOut: true });
  }, 60_000);
});
