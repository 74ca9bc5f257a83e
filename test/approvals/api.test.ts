/** The approvals API: inbox, one approval, decisions (approve, reject, edit-and-approve), decided once. */
import { afterEach, describe, expect, it } from "vitest";
import { apiContext, type TestApi } from "../server/support/api.ts";
import { approvalFlow } from "./flows.ts";

describe("approvals API", () => {
  let api: TestApi;
  afterEach(() => api?.dispose());

  async function waiting(client = "acme") {
    const result = await api.keel.coordinator.run(approvalFlow(), { client, amount: 5000, confidence: 0.5 });
    await api.keel.approvals.idle();
    return result;
  }

  it("lists pending approvals across flows with their evidence, and reads one", async () => {
    api = apiContext();
    const a = await waiting("acme");
    const b = await waiting("globex");
    const list = await api.call("GET", "/api/approvals?status=pending");
    expect(list.status).toBe(200);
    const items = (list.json as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((i) => i.run).sort()).toEqual([a.runId, b.runId].sort());
    expect(items[0]).toMatchObject({ status: "pending", flow: "proposal", evidence: expect.any(Array), confidence: 0.5, cost: { usd: 0, tokens: 0 } });
    const one = await api.call("GET", `/api/approvals/${items[0].id}`);
    expect(one.status).toBe(200);
    expect((one.json as { approval: unknown }).approval).toEqual(items[0]);
    expect((await api.call("GET", "/api/approvals")).json).toEqual(list.json); // pending is the default
  });

  it("approve through the API resumes the run; a second decision is a 409 CONFLICT", async () => {
    api = apiContext();
    const run = await waiting();
    const [{ id }] = await api.keel.approvals.list({ status: "pending" });
    const settled = api.keel.coordinator.settled(run.runId);
    const res = await api.call("POST", `/api/approvals/${id}`, { decision: "approve", edits: { amount: 4200 } });
    expect(res.status).toBe(200);
    expect((res.json as { approval: Record<string, unknown> }).approval).toMatchObject({ id, status: "approved", decision: { by: "operator", edits: { amount: 4200 } } });
    const done = await settled;
    expect(done.status).toBe("succeeded");
    expect(done.nodes.approve.output).toMatchObject({ proposal: { amount: 4200 }, original: { amount: 5000 } });

    const again = await api.call("POST", `/api/approvals/${id}`, { decision: "reject", reason: "changed my mind" });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: "CONFLICT", message: expect.stringContaining("was already decided: approved") } });
    expect((await api.call("GET", "/api/approvals?status=approved")).json).toMatchObject({ items: [{ id }] });
  });

  it("two racing decisions: one 200, one 409", async () => {
    api = apiContext();
    const run = await waiting();
    const [{ id }] = await api.keel.approvals.list({ status: "pending" });
    const settled = api.keel.coordinator.settled(run.runId);
    const [x, y] = await Promise.all([
      api.call("POST", `/api/approvals/${id}`, { decision: "approve" }),
      api.call("POST", `/api/approvals/${id}`, { decision: "reject", reason: "no" }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    expect((await settled).status).toBe("succeeded");
  });

  it("refuses bad requests clearly: 400 for a bad decision or status, 404 for an unknown id, 401 without the token", async () => {
    api = apiContext();
    await waiting();
    const [{ id }] = await api.keel.approvals.list({ status: "pending" });
    expect((await api.call("POST", `/api/approvals/${id}`, { decision: "yes" })).status).toBe(400);
    expect((await api.call("POST", `/api/approvals/${id}`, { decision: "approve", edits: { nope: 1 } })).json).toMatchObject({
      error: { code: "VALIDATION", message: expect.stringContaining('"nope"') },
    });
    expect((await api.call("POST", `/api/approvals/${id}`, { decision: "approve", extra: 1 })).status).toBe(400);
    expect((await api.call("GET", "/api/approvals?status=maybe")).status).toBe(400);
    expect((await api.call("GET", "/api/approvals/a-20200101-000000-0123456789")).status).toBe(404);
    expect((await api.call("GET", "/api/approvals/../../etc")).status).toBe(404);
    expect((await api.call("GET", "/api/approvals", undefined, { authorization: undefined })).status).toBe(401);
    expect((await api.keel.approvals.get(id))?.status).toBe("pending");
  });
});
