import { describe, expect, it } from "vitest";
import { isSuspended } from "../runtime/node.ts";
import { makeContext } from "../runtime/testing.ts";
import { waitTimer } from "./wait-timer.ts";

describe("wait.timer", () => {
  it("suspends with a deadline ms from now", () => {
    const before = Date.now();
    const out = waitTimer.run(makeContext({ params: { ms: 5000 } }));
    expect(isSuspended(out)).toBe(true);
    if (!isSuspended(out)) return;
    expect(out.wait.kind).toBe("timer");
    expect(out.wait.until).toBeGreaterThanOrEqual(before + 5000);
    expect(out.wait.until).toBeLessThanOrEqual(Date.now() + 5000);
  });

  it("finishes when woken, and at once for 0 ms", () => {
    expect(waitTimer.run(makeContext({ params: { ms: 5000 }, wake: { timedOut: true } }))).toEqual({ waitedMs: 5000 });
    expect(waitTimer.run(makeContext({ params: { ms: 0 } }))).toEqual({ waitedMs: 0 });
  });

  it("refuses negative, fractional and over-a-month waits", () => {
    for (const ms of [-1, 1.5, 32 * 86_400_000, "10"]) expect(waitTimer.params.safeParse({ ms }).success, String(ms)).toBe(false);
  });
});
