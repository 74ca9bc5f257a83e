/** Escalation: when an approval times out with onTimeout "escalate", the escalateTo node runs on the escalated edge. */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFlow } from "../../runtime/prepare.ts";
import { createRegistry } from "../../nodes/index.ts";
import { openKeel, type Keel } from "../../server/keel.ts";
import { makeFlow, tempDir } from "../support/keel.ts";

function escalatingFlow(edges: Array<[string, string] | [string, string, string]> = [["approve", "send", "approved"], ["approve", "escalate", "escalated"]], params: Record<string, unknown> = {}) {
  return makeFlow(
    [
      { id: "approve", type: "human.approve", params: { title: "Pay invoice 17?", proposal: { invoice: 17, amount: 900 }, timeout: "1h", onTimeout: "escalate", escalateTo: "escalate", ...params } },
      { id: "send", type: "action.file", params: { path: "paid.txt", content: "paid" } },
      { id: "escalate", type: "action.file", params: { path: "escalations/{{ nodes.approve.output.approvalId }}.json", content: "{{ nodes.approve.output }}" } },
    ],
    edges,
    { id: "invoice" },
  );
}

describe("escalation", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  function open(dir: string, now?: () => number): Keel {
    const keel = openKeel({ dataDir: dir, coordinator: now ? { now } : {} });
    cleanups.push(() => keel.close());
    return keel;
  }

  it("a timed-out approval with onTimeout escalate runs the escalation node and closes as escalated", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = open(dir);
    const waiting = await first.coordinator.run(escalatingFlow(), {});
    expect(waiting.status).toBe("waiting");
    await first.approvals.idle();
    const [approval] = await first.approvals.list({ status: "pending" });
    expect(approval).toMatchObject({ onTimeout: "escalate", escalateTo: "escalate" });
    await first.close();

    const second = open(dir, () => Date.now() + 2 * 3600_000);
    const [result] = await second.coordinator.resumeAll();
    expect(result.status).toBe("succeeded");
    expect(result.nodes.send.status).toBe("skipped");
    expect(result.nodes.escalate.status).toBe("succeeded");
    const note = JSON.parse(fs.readFileSync(path.join(second.outbox.dir, "escalations", `${approval.id}.json`), "utf8"));
    expect(note).toMatchObject({ decision: "escalated", by: "timeout", proposal: { invoice: 17 }, approvalId: approval.id });
    await second.approvals.idle();
    expect(await second.approvals.get(approval.id)).toMatchObject({ status: "escalated", decision: { by: "timeout" } });
  });

  it("refuses a flow whose escalateTo is not wired to the escalated port, or missing", () => {
    const registry = createRegistry();
    const unwired = checkFlow(escalatingFlow([["approve", "send", "approved"], ["approve", "escalate", "rejected"]]), registry);
    expect(unwired.ok).toBe(false);
    expect(!unwired.ok && unwired.issues.map((i) => i.message)).toContainEqual(expect.stringContaining('escalateTo "escalate" must follow this node on an edge with when: "escalated"'));
    const missing = checkFlow(escalatingFlow(undefined, { escalateTo: "nobody" }), registry);
    expect(!missing.ok && missing.issues.map((i) => i.message)).toContainEqual(expect.stringContaining('escalateTo "nobody" names no node'));
    const none = checkFlow(escalatingFlow(undefined, { escalateTo: undefined }), registry);
    expect(!none.ok && none.issues.map((i) => i.message)).toContainEqual(expect.stringContaining('escalateTo: is required when onTimeout is "escalate"'));
    expect(checkFlow(escalatingFlow(), registry).ok).toBe(true);
  });
});
