/** The approval helpers on their own: durations, edits, evidence, ids, the node without an engine. */
import { describe, expect, it } from "vitest";
import { applyEdits, approvalIdOf, approvalShardOf, isApprovalId, parseDuration } from "../../runtime/approvals/types.ts";
import { humanApprove, normalizeEvidence } from "../../nodes/human-approve.ts";
import { makeContext } from "../../runtime/testing.ts";
import { isSuspended } from "../../runtime/node.ts";
import { parseEdits } from "../../server/cli/approval-commands.ts";

describe("approval helpers", () => {
  it("reads durations", () => {
    expect(parseDuration("48h")).toBe(48 * 3600_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("2d")).toBe(2 * 86_400_000);
    expect(parseDuration(" 90s ")).toBe(90_000);
    for (const bad of ["", "48", "h", "3 days", "1h x"]) expect(() => parseDuration(bad)).toThrow(/not a duration/);
  });

  it("applies edits to known fields only", () => {
    expect(applyEdits({ a: 1, b: "x" }, { b: "y" })).toEqual({ a: 1, b: "y" });
    expect(() => applyEdits({ a: 1 }, { c: 2 })).toThrow(/"c" that the proposal does not have/);
    expect(applyEdits("draft text", { value: "better text" })).toBe("better text");
    expect(() => applyEdits("draft", { text: "x" })).toThrow(/not an object/);
  });

  it("derives stable ids that pick a shard and stay out of paths", () => {
    const id = approvalIdOf("r-20261124-133501-0123456789", "approve");
    expect(id).toBe(approvalIdOf("r-20261124-133501-0123456789", "approve"));
    expect(id).not.toBe(approvalIdOf("r-20261124-133501-0123456789", "approve2"));
    expect(id).toMatch(/^a-20261124-133501-[0-9a-f]{10}$/);
    expect(isApprovalId(id)).toBe(true);
    expect(approvalShardOf(id).day).toBe("20261124");
    expect(isApprovalId("../../etc/passwd")).toBe(false);
  });

  it("lays evidence out in one shape", () => {
    expect(normalizeEvidence(["snippet", { label: "l", text: "t", source: "s", extra: 1 }, 42])).toEqual([
      { text: "snippet" },
      { label: "l", text: "t", source: "s", value: { extra: 1 } },
      { value: 42 },
    ]);
    expect(normalizeEvidence({ prices: [1, 2], note: "n" })).toEqual([{ label: "prices", value: [1, 2] }, { label: "note", text: "n" }]);
    expect(normalizeEvidence(undefined)).toEqual([]);
  });

  it("CLI edits keep text fields as text and read the others as JSON", () => {
    expect(parseEdits(["subject=123", "amount=4200", "tags=[\"a\"]", "note=plain words"], { subject: "s", amount: 1, tags: [] })).toEqual({
      subject: "123",
      amount: 4200,
      tags: ["a"],
      note: "plain words",
    });
    expect(() => parseEdits(["novalue"], {})).toThrow(/field=value/);
  });

  it("the node suspends with its deadline, or decides at once on auto-approve", () => {
    const params = humanApprove.params.parse({ title: "t", proposal: { a: 1 }, confidence: 0.5, autoApproveAbove: 0.9, timeout: "1h" });
    const before = Date.now();
    const out = humanApprove.run(makeContext({ params }));
    expect(isSuspended(out)).toBe(true);
    const wait = (out as { wait: { kind: string; until: number; data: Record<string, unknown> } }).wait;
    expect(wait.kind).toBe("approval");
    expect(wait.until).toBeGreaterThanOrEqual(before + 3600_000);
    expect(wait.data).toMatchObject({ title: "t", proposal: { a: 1 }, confidence: 0.5, onTimeout: "reject" });
    const auto = humanApprove.run(makeContext({ params: { ...params, confidence: 0.95 } }));
    expect(auto).toMatchObject({ decision: "approved", by: "auto" });
    expect(humanApprove.port!(auto as never)).toBe("approved");
  });
});
