/** Node policies in a real engine over a real event log: retry with backoff, timeouts, onError. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, NO_RETRY } from "../../runtime/retry.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import type { RunResult } from "../../runtime/result.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { callsOf, testRegistry } from "./test-nodes.ts";

let keel: ReturnType<typeof testKeel> | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await keel?.dispose();
  keel = undefined;
});

const retryEvents = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: "node.retry" }> => e.type === "node.retry");

/** Steps fake timers until the promise settles; real I/O gets a turn of the event loop between steps. */
async function withFakeClock<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  const settled = promise.finally(() => (done = true));
  for (let i = 0; i < 5000 && !done; i++) {
    await vi.advanceTimersToNextTimerAsync();
    await new Promise((r) => setImmediate(r));
  }
  return settled;
}

describe("backoffDelay", () => {
  it("grows exponentially from backoffMs, capped at maxDelayMs, with jitter inside [d/2, d]", () => {
    const policy = { attempts: 10, backoffMs: 100, maxDelayMs: 1000 };
    const nominal = [100, 200, 400, 800, 1000, 1000];
    nominal.forEach((d, i) => {
      const next = i + 2;
      expect(backoffDelay(policy, next, () => 0)).toBe(d / 2);
      expect(backoffDelay(policy, next, () => 1)).toBe(d);
      for (let k = 0; k < 50; k++) {
        const got = backoffDelay(policy, next);
        expect(got).toBeGreaterThanOrEqual(d / 2);
        expect(got).toBeLessThanOrEqual(d);
      }
    });
  });

  it("is one attempt when a node says nothing", () => {
    expect(NO_RETRY.attempts).toBe(1);
  });
});

describe("retry", () => {
  it("retries a retryable failure with exponential, jittered, capped delays (fake timers)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const randoms = [0, 0.999, 0.5];
    keel = testKeel({ coordinator: { registry: testRegistry(), random: () => randoms.shift() ?? 0.5 } });
    const flow = makeFlow([{ id: "f", type: "test.flaky", params: { failures: 3 }, retry: { attempts: 4, backoffMs: 1000, maxDelayMs: 3000 } }]);
    const { runId, done } = await keel.coordinator.start(flow, {});
    const result = await withFakeClock(done);

    expect(result.status).toBe("succeeded");
    expect(result.nodes.f).toMatchObject({ status: "succeeded", attempts: 4, output: { attempt: 4 } });
    const retries = retryEvents(await keel.coordinator.events(runId));
    // nominal delays 1000, 2000, 4000 → capped 3000; equal jitter with random 0, 0.999, 0.5
    expect(retries.map((e) => e.delayMs)).toEqual([500, 1999, 2250]);
    expect(retries.map((e) => e.attempt)).toEqual([1, 2, 3]);
    for (const e of retries) {
      expect(e.error).toMatchObject({ code: "TRANSIENT", retryable: true });
      expect(e.error.message).toContain(`attempt ${e.attempt} failed on purpose`);
    }
    // each attempt began exactly its delay after the one before (the clock only moves by timers)
    const at = callsOf(runId, "f").map((c) => c.at);
    expect(at.slice(1).map((t, i) => t - at[i])).toEqual([500, 1999, 2250]);
  });

  it("keeps every delay inside [d/2, d] with real jitter", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow([{ id: "f", type: "test.flaky", params: { failures: 4 }, retry: { attempts: 5, backoffMs: 8, maxDelayMs: 20 } }]);
    const { runId, done } = await keel.coordinator.start(flow, {});
    expect((await done).status).toBe("succeeded");
    const delays = retryEvents(await keel.coordinator.events(runId)).map((e) => e.delayMs);
    const nominal = [8, 16, 20, 20];
    expect(delays).toHaveLength(4);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(nominal[i] / 2);
      expect(d).toBeLessThanOrEqual(nominal[i]);
    });
  });

  it("fails at once on a non-retryable error, whatever the policy", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow(
      [
        { id: "f", type: "test.flaky", params: { failures: 1, retryable: false }, retry: { attempts: 5, backoffMs: 1 } },
        { id: "after", type: "transform" },
      ],
      [["f", "after"]],
    );
    const { runId, done } = await keel.coordinator.start(flow, {});
    const result = await done;
    expect(result.status).toBe("failed");
    expect(result.nodes.f).toMatchObject({ status: "failed", attempts: 1, error: { code: "NODE_FAILED", retryable: false } });
    expect(result.nodes.after.status).toBe("skipped");
    expect(result.error?.message).toContain('node "f" failed: attempt 1 failed on purpose');
    expect(retryEvents(await keel.coordinator.events(runId))).toHaveLength(0);
    expect(callsOf(runId, "f")).toHaveLength(1);
  });

  it("fails the node when the attempts run out", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow([{ id: "f", type: "test.flaky", params: { failures: 10 }, retry: { attempts: 3, backoffMs: 1 } }]);
    const { runId, done } = await keel.coordinator.start(flow, {});
    const result = await done;
    expect(result.status).toBe("failed");
    expect(result.nodes.f).toMatchObject({ status: "failed", attempts: 3, error: { code: "TRANSIENT", retryable: true } });
    const events = await keel.coordinator.events(runId);
    expect(retryEvents(events)).toHaveLength(2);
    const failed = events.find((e) => e.type === "node.failed");
    expect(failed).toMatchObject({ node: "f", attempt: 3, error: { message: "attempt 3 failed on purpose" } });
  });
});

describe("timeoutMs", () => {
  it("aborts a node that runs too long with a retryable TIMEOUT, retried by policy", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow([{ id: "slow", type: "test.hang", timeoutMs: 30, retry: { attempts: 2, backoffMs: 1 } }]);
    const { runId, done } = await keel.coordinator.start(flow, {});
    const result = await done;
    expect(result.status).toBe("failed");
    expect(result.nodes.slow).toMatchObject({ status: "failed", attempts: 2, error: { code: "TIMEOUT", retryable: true } });
    expect(result.nodes.slow.error?.message).toContain('node "slow" (test.hang) timed out after 30 ms');
    const retries = retryEvents(await keel.coordinator.events(runId));
    expect(retries).toHaveLength(1);
    expect(retries[0].error).toMatchObject({ code: "TIMEOUT", retryable: true });
    expect(callsOf(runId, "slow")).toHaveLength(2);
  });
});

describe("onError", () => {
  it("continue: the run succeeds and downstream nodes see { error }", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "bad", type: "test.flaky", params: { failures: 1, retryable: false }, onError: "continue" },
        { id: "report", type: "transform", params: { set: { code: "{{ nodes.bad.output.error.code }}", msg: "{{ nodes.bad.output.error.message }}" } } },
        { id: "join", type: "logic.merge" },
      ],
      [["start", "bad"], ["bad", "report"], ["bad", "join"], ["start", "join"]],
    );
    const result: RunResult = await keel.coordinator.run(flow, { x: 1 });
    expect(result.status).toBe("succeeded");
    expect(result.nodes.bad).toMatchObject({ status: "failed", error: { code: "NODE_FAILED" } });
    expect(result.output.report).toEqual({ code: "NODE_FAILED", msg: "attempt 1 failed on purpose" });
    const inputs = (result.output.join as { inputs: Record<string, unknown> }).inputs;
    expect(inputs.start).toEqual({ x: 1 });
    expect(inputs.bad).toMatchObject({ error: { code: "NODE_FAILED", message: "attempt 1 failed on purpose", retryable: false } });
  });

  it("fail (the default): the run fails and names the node", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow([{ id: "bad", type: "test.flaky", params: { failures: 1, retryable: false } }]);
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "NODE_FAILED", message: 'node "bad" failed: attempt 1 failed on purpose' });
  });
});
