/** action.email after human.approve against a real SMTP server on 127.0.0.1. */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiContext, type TestApi } from "../server/support/api.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { tempDir } from "../support/keel.ts";
import { messageIdOf } from "../../nodes/action-email.ts";
import { idempotencyKey } from "../../runtime/execution.ts";
import { emailFlow } from "./flows.ts";

const input = { client: "Acme", email: "buyer@acme.test", amount: 5000, confidence: 0.4 };

describe("action.email after approval", () => {
  let sink: SmtpSink;
  let api: TestApi;
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    await api?.dispose();
    await sink?.close();
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup() {
    sink = await startSmtpSink();
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    api = apiContext({ keel: { dataDir: path.join(dir, "data") } });
    api.keel.vault.add({ name: "smtp-test", kind: "smtp", fields: { host: "127.0.0.1", port: String(sink.port) }, allowedFlows: ["email-proposal"] });
  }

  it("drafts, waits, is approved through the API, and exactly one mail arrives with the approved content", async () => {
    await setup();
    const waiting = await api.keel.coordinator.run(emailFlow(), input);
    expect(waiting.status).toBe("waiting");
    await api.keel.approvals.idle();
    expect(sink.received).toHaveLength(0);
    const [approval] = await api.keel.approvals.list({ status: "pending" });
    const settled = api.keel.coordinator.settled(waiting.runId);
    const res = await api.call("POST", `/api/approvals/${approval.id}`, { decision: "approve", edits: { text: "Dear Acme,\nour price is 4800 EUR.\n" } });
    expect(res.status).toBe(200);
    const done = await settled;
    expect(done.status).toBe("succeeded");
    expect(sink.received).toHaveLength(1);
    const [mail] = sink.received;
    expect(mail.to).toEqual(["buyer@acme.test"]);
    expect(mail.subject).toBe("Proposal for Acme");
    expect(mail.text.replace(/\r\n/g, "\n")).toContain("our price is 4800 EUR.");
    expect(mail.messageId).toBe(messageIdOf(idempotencyKey(waiting.runId, "send"), "keel@example.com"));
    expect(done.nodes.send.output).toMatchObject({ messageId: mail.messageId, accepted: ["buyer@acme.test"] });
  });

  it("auto-approved above the threshold: the mail goes at once", async () => {
    await setup();
    const done = await api.keel.coordinator.run(emailFlow({ autoApproveAbove: 0.9 }), { ...input, confidence: 0.95 });
    expect(done.status).toBe("succeeded");
    expect(sink.received.map((m) => m.subject)).toEqual(["Proposal for Acme"]);
  });

  it("rejected: no mail", async () => {
    await setup();
    const waiting = await api.keel.coordinator.run(emailFlow(), input);
    await api.keel.approvals.idle();
    const [approval] = await api.keel.approvals.list({ status: "pending" });
    const { settled } = await api.keel.approvals.decide(approval.id, { decision: "reject", reason: "wrong price" }, { awaitRun: "settled" });
    const done = await settled!;
    expect(done.status).toBe("succeeded");
    expect(done.nodes.send.status).toBe("skipped");
    expect(sink.received).toHaveLength(0);
    expect(waiting.runId).toBe(done.runId);
  });

  it("a flow not allowed to use the credential fails the send clearly and sends nothing", async () => {
    await setup();
    api.keel.vault.update("smtp-test", { allowedFlows: ["another-flow"] });
    const done = await api.keel.coordinator.run(emailFlow({ autoApproveAbove: 0.1 }), input);
    expect(done.status).toBe("failed");
    expect(done.nodes.send.error).toMatchObject({ code: "FORBIDDEN" });
    expect(sink.received).toHaveLength(0);
  });
});
