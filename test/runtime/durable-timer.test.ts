/** wait.timer is durable: a new process over the same data folder waits only for what remains. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunResult } from "../../runtime/result.ts";
import { openKeel, type Keel } from "../../server/keel.ts";
import { makeFlow, tempDir } from "../support/keel.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

let open: Keel[] = [];
let cleanup: (() => void) | undefined;
afterEach(async () => {
  vi.useRealTimers();
  for (const k of open) await k.close();
  open = [];
  cleanup?.();
  cleanup = undefined;
});

function keelOver(dataDir: string): Keel {
  const k = openKeel({ dataDir });
  open.push(k);
  return k;
}

async function closeKeel(k: Keel): Promise<void> {
  await k.close();
  open = open.filter((x) => x !== k);
}

/** Resolves to the settled value or "pending" after letting real I/O run for a few turns. */
async function peek<T>(p: Promise<T>): Promise<T | "pending"> {
  let value: T | "pending" = "pending";
  void p.then((v) => (value = v));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return value;
}

const timerFlow = makeFlow(
  [
    { id: "start", type: "trigger.manual" },
    { id: "wait", type: "wait.timer", params: { ms: MINUTE } },
    { id: "after", type: "transform", params: { set: { client: "{{ input.client }}" } } },
  ],
  [["start", "wait"], ["wait", "after"]],
);

describe("wait.timer across processes", () => {
  it("is resumed by a new Keel over the same data folder and waits only for what remains", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: T0 });
    const tmp = tempDir();
    cleanup = tmp.cleanup;

    const first = keelOver(tmp.dir);
    const waiting = await first.coordinator.run(timerFlow, { client: "Acme" });
    expect(waiting.status).toBe("waiting");
    expect(waiting.nodes.wait.status).toBe("waiting");
    await closeKeel(first); // the process goes away with 60 s left on the timer

    vi.setSystemTime(T0 + 45_000); // it comes back 45 s later
    const second = keelOver(tmp.dir);
    const resumed = await second.coordinator.resumeAll();
    expect(resumed.map((r) => [r.runId, r.status])).toEqual([[waiting.runId, "waiting"]]);
    const done = second.coordinator.settled(waiting.runId);
    const wake = vi.spyOn(second.coordinator, "wake"); // calls through; tells when the timer fired

    await vi.advanceTimersByTimeAsync(14_900);
    expect(wake).not.toHaveBeenCalled();
    expect(await peek(done)).toBe("pending");
    await vi.advanceTimersByTimeAsync(200);
    expect(wake).toHaveBeenCalledTimes(1);
    const result = (await done) as RunResult;
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ after: { client: "Acme" } });
    expect(result.nodes.wait.output).toEqual({ waitedMs: MINUTE });
    const events = await second.coordinator.events(waiting.runId);
    expect(events.filter((e) => e.type === "node.woken")).toEqual([expect.objectContaining({ node: "wait", timedOut: true })]);
    expect(events.filter((e) => e.type === "node.started" && e.node === "start")).toHaveLength(1); // not run again
  });

  it("fires at once a timer that fell due while no process was running", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: T0 });
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const first = keelOver(tmp.dir);
    const waiting = await first.coordinator.run(timerFlow, { client: "Bo" });
    await closeKeel(first);

    vi.setSystemTime(T0 + 2 * MINUTE);
    const second = keelOver(tmp.dir);
    const [result] = await second.coordinator.resumeAll();
    expect(result.runId).toBe(waiting.runId);
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ after: { client: "Bo" } });
    await second.coordinator.flush(); // a finished run leaves the journal once the run index has it
    expect(await second.store.openRuns()).toEqual([]);
  });

  it("a run that is not waiting is not listed for resume once finished", async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const k = keelOver(tmp.dir);
    const r = await k.coordinator.run(makeFlow([{ id: "t", type: "transform" }]), {});
    expect(r.status).toBe("succeeded");
    await k.coordinator.flush(); // a finished run leaves the journal once the run index has it
    expect(await k.store.openRuns()).toEqual([]);
    expect(await k.coordinator.resumeAll()).toEqual([]);
  });
});
