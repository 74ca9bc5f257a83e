/** human.approve with a real Keel: waiting, deciding, auto-approve, edits, decided once, timeouts. */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeelError } from "../../runtime/errors.ts";
import { testKeel, tempDir } from "../support/keel.ts";
import { openKeel, type Keel } from "../../server/keel.ts";
import type { Approval } from "../../runtime/approvals/types.ts";
import { toRunResult, type RunResult } from "../../runtime/result.ts";
import { approvalFlow } from "./flows.ts";

const input = { client: "acme", amount: 5000, confidence: 0.4 };

async function waitingApproval(keel: Keel, flow = approvalFlow(), runInput: unknown = input) {
  const result = await keel.coordinator.run(flow, runInput);
  await keel.approvals.idle();
  const [approval] = await keel.approvals.list({ status: "pending" });
  return { result, approval };
}

/** The run's result once it finished (polls its state: a wake may come from the desk at any time). */
async function untilFinished(keel: Keel, runId: string): Promise<RunResult> {
  for (let i = 0; i < 500; i++) {
    const state = await keel.coordinator.state(runId);
    if (["succeeded", "failed", "canceled"].includes(state.status)) return toRunResult(state);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe("human.approve", () => {
  let keel: ReturnType<typeof testKeel>;
  afterEach(() => keel?.dispose());

  it("waits with an approval record holding the proposal, evidence, confidence, cost and due time", async () => {
    keel = testKeel();
    const before = Date.now();
    const { result, approval } = await waitingApproval(keel, approvalFlow({ timeout: "2h" }));
    expect(result.status).toBe("waiting");
    expect(result.nodes.approve.status).toBe("waiting");
    expect(approval).toMatchObject({
      run: result.runId,
      node: "approve",
      flow: "proposal",
      title: "Send the proposal to acme?",
      proposal: { to: "acme@example.com", subject: "Proposal for acme", amount: 5000 },
      evidence: [{ label: "client", text: "acme asked for a quote", source: "memory:client-notes" }, { text: "earlier proposals were 10% lower" }],
      confidence: 0.4,
      cost: { usd: 0, tokens: 0 },
      status: "pending",
      onTimeout: "reject",
    });
    const due = Date.parse(approval.due);
    expect(due).toBeGreaterThanOrEqual(before + 2 * 3600_000);
    expect(due).toBeLessThan(Date.now() + 2 * 3600_000 + 1000);
  });

  it("approve: the run carries on down the approved edge and the approval is closed", async () => {
    keel = testKeel();
    const { result, approval } = await waitingApproval(keel);
    const { approval: decided, settled } = await keel.approvals.decide(approval.id, { decision: "approve" }, { awaitRun: "settled" });
    expect(decided.status).toBe("approved");
    const done = await settled!;
    expect(done.runId).toBe(result.runId);
    expect(done.status).toBe("succeeded");
    expect(done.nodes.write.status).toBe("succeeded");
    expect(done.nodes.note.status).toBe("skipped");
    const written = JSON.parse(fs.readFileSync(path.join(keel.outbox.dir, "proposals/acme.json"), "utf8"));
    expect(written).toEqual({ to: "acme@example.com", subject: "Proposal for acme", amount: 5000 });
    expect(await keel.approvals.list({ status: "pending" })).toEqual([]);
    expect((await keel.approvals.get(approval.id))?.decision).toMatchObject({ by: "operator" });
  });

  it("reject: the rejected edge runs with the reason, the approved action does not", async () => {
    keel = testKeel();
    const { approval } = await waitingApproval(keel);
    const { settled } = await keel.approvals.decide(approval.id, { decision: "reject", reason: "too expensive" }, { awaitRun: "settled" });
    const done = await settled!;
    expect(done.status).toBe("succeeded");
    expect(done.nodes.write.status).toBe("skipped");
    expect(done.output.note).toEqual({ rejected: true, reason: "too expensive" });
    expect(fs.existsSync(path.join(keel.outbox.dir, "proposals/acme.json"))).toBe(false);
    expect(await keel.approvals.get(approval.id)).toMatchObject({ status: "rejected", decision: { by: "operator", reason: "too expensive" } });
  });

  it("edit-and-approve: the edited values flow downstream and the trace keeps the original too", async () => {
    keel = testKeel();
    const { result, approval } = await waitingApproval(keel);
    const { approval: decided, settled } = await keel.approvals.decide(approval.id, { decision: "approve", edits: { amount: 4500, subject: "Revised proposal" } }, { awaitRun: "settled" });
    expect(decided.decision?.proposal).toEqual({ to: "acme@example.com", subject: "Revised proposal", amount: 4500 });
    const done = await settled!;
    expect(done.status).toBe("succeeded");
    const written = JSON.parse(fs.readFileSync(path.join(keel.outbox.dir, "proposals/acme.json"), "utf8"));
    expect(written).toEqual({ to: "acme@example.com", subject: "Revised proposal", amount: 4500 });
    expect(done.nodes.approve.output).toMatchObject({
      decision: "approved",
      by: "operator",
      proposal: { subject: "Revised proposal", amount: 4500 },
      original: { subject: "Proposal for acme", amount: 5000 },
      edits: { amount: 4500, subject: "Revised proposal" },
    });
    const events = await keel.coordinator.events(result.runId);
    const log = events.find((e) => e.type === "node.log" && e.node === "approve");
    expect(log).toMatchObject({ message: "approved by the operator with edits", data: { original: { amount: 5000 }, approved: { amount: 4500 } } });
  });

  it("edits naming a field the proposal does not have are refused and the approval stays open", async () => {
    keel = testKeel();
    const { approval } = await waitingApproval(keel);
    await expect(keel.approvals.decide(approval.id, { decision: "approve", edits: { amuont: 1 } })).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await keel.approvals.get(approval.id))?.status).toBe("pending");
  });

  it("auto-approves at or above the threshold, without an approval, and the trace says why", async () => {
    keel = testKeel();
    const result = await keel.coordinator.run(approvalFlow({ autoApproveAbove: 0.8 }), { ...input, confidence: 0.8 });
    expect(result.status).toBe("succeeded");
    expect(result.nodes.write.status).toBe("succeeded");
    expect(result.nodes.approve.output).toMatchObject({ decision: "approved", by: "auto", reason: "confidence 0.8 is at or above autoApproveAbove 0.8" });
    const events = await keel.coordinator.events(result.runId);
    expect(events.some((e) => e.type === "node.log" && e.node === "approve" && e.message.startsWith("auto-approved: confidence 0.8"))).toBe(true);
    await keel.approvals.idle();
    expect(await keel.approvals.list({ status: "pending" })).toEqual([]);
  });

  it("below the threshold it waits", async () => {
    keel = testKeel();
    const { result, approval } = await waitingApproval(keel, approvalFlow({ autoApproveAbove: 0.8 }), { ...input, confidence: 0.79 });
    expect(result.status).toBe("waiting");
    expect(approval.autoApproveAbove).toBe(0.8);
  });

  it("a second decision is refused with CONFLICT, also when two decisions race", async () => {
    keel = testKeel();
    const { approval } = await waitingApproval(keel);
    const race = await Promise.allSettled([
      keel.approvals.decide(approval.id, { decision: "approve" }),
      keel.approvals.decide(approval.id, { decision: "reject", reason: "no" }),
      keel.approvals.decide(approval.id, { decision: "approve", edits: { amount: 1 } }),
    ]);
    const won = race.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ approval: Approval }>[];
    const lost = race.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    const winner = won[0].value.approval;
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(KeelError);
      expect(l.reason.code).toBe("CONFLICT");
      expect(l.reason.message).toContain(`approval ${approval.id} was already decided: ${winner.status}`);
    }
    await expect(keel.approvals.decide(approval.id, { decision: "reject" })).rejects.toMatchObject({ code: "CONFLICT" });
    const done = await untilFinished(keel, approval.run);
    expect(done.status).toBe("succeeded");
    expect(done.nodes.approve.output).toMatchObject({ decision: winner.status, approved: winner.status === "approved" });
    expect(await keel.approvals.get(approval.id)).toEqual(winner);
  });

  it("an unknown approval is NOT_FOUND; a bad decision is VALIDATION", async () => {
    keel = testKeel();
    const { approval } = await waitingApproval(keel);
    await expect(keel.approvals.decide("a-20200101-000000-0123456789", { decision: "approve" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(keel.approvals.decide(approval.id, { decision: "maybe" } as never)).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(keel.approvals.decide(approval.id, { decision: "reject", edits: { amount: 1 } })).rejects.toMatchObject({ code: "VALIDATION" });
  });

  it("a canceled run closes its approval", async () => {
    keel = testKeel();
    const { approval } = await waitingApproval(keel);
    await keel.coordinator.cancel(approval.run, "client went elsewhere");
    await keel.approvals.idle();
    expect(await keel.approvals.get(approval.id)).toMatchObject({ status: "canceled", decision: { by: "run" } });
    await expect(keel.approvals.decide(approval.id, { decision: "approve" })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("human.approve across restarts", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function open(dir: string, now?: () => number): Keel {
    const keel = openKeel({ dataDir: dir, coordinator: now ? { now } : {} });
    cleanups.push(() => keel.close());
    return keel;
  }

  it("a decision made after a restart resumes the run where it waited", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = open(dir);
    const { approval } = await waitingApproval(first);
    await first.close();
    const second = open(dir);
    expect((await second.approvals.list({ status: "pending" })).map((a) => a.id)).toEqual([approval.id]);
    const { settled } = await second.approvals.decide(approval.id, { decision: "approve" }, { awaitRun: "settled" });
    expect((await settled!).status).toBe("succeeded");
  });

  it.each([
    ["approve", "approved", "write"],
    ["reject", "rejected", "note"],
  ] as const)("a timeout that fell due while Keel was down fires on start (onTimeout %s)", async (onTimeout, status, ran) => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = open(dir);
    const { approval } = await waitingApproval(first, approvalFlow({ timeout: "1h", onTimeout }));
    await first.close();
    // start again two hours later
    const later = () => Date.now() + 2 * 3600_000;
    const second = open(dir, later);
    const [result] = await second.coordinator.resumeAll();
    expect(result.status).toBe("succeeded");
    expect(result.nodes[ran].status).toBe("succeeded");
    expect(result.nodes.approve.output).toMatchObject({ decision: status, by: "timeout" });
    await second.approvals.idle();
    expect(await second.approvals.get(approval.id)).toMatchObject({ status, decision: { by: "timeout" } });
    expect(await second.approvals.list({ status: "pending" })).toEqual([]);
  });

  it("a decision recorded just before a crash (the run not yet woken) is carried out on start", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = open(dir);
    const { approval } = await waitingApproval(first);
    // the store has the decision, the run log does not: what a crash between the two leaves
    await (first.approvals.store).decide(approval.id, "approved", { by: "operator", at: new Date().toISOString(), edits: { amount: 1 }, proposal: { ...(approval.proposal as object), amount: 1 } });
    await first.close();
    const second = open(dir);
    const [again] = await second.coordinator.resumeAll();
    expect(again.status).toBe("waiting"); // the run waits again, then the desk finds the decision
    const result = await untilFinished(second, approval.run);
    expect(result.status).toBe("succeeded");
    expect(result.nodes.approve.output).toMatchObject({ decision: "approved", by: "operator", proposal: { amount: 1 } });
  });
});
