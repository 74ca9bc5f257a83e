/** trigger.webhook: POST /hooks/:flowId/:hookName with a secret header or an HMAC signature; replays start one run. */
import { createHmac } from "node:crypto";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiContext, TEST_HOST, type TestApi } from "../server/support/api.ts";
import { inject } from "../server/support/inject.ts";
import { makeFlow, tempDir } from "../support/keel.ts";
import { newRunId } from "../../runtime/ids.ts";
import { FileDeliveryStore } from "../../storage/hooks/delivery-store.ts";

const SECRET = "hook-secret-0123456789";

function hookFlow(auth: "secret" | "hmac" = "secret") {
  return makeFlow(
    [
      { id: "hook", type: "trigger.webhook", params: { hook: "new-lead", auth, credential: "lead-hook" } },
      { id: "shape", type: "transform", params: { set: { lead: "{{ nodes.hook.output.name }}", source: "webhook" } } },
    ],
    [["hook", "shape"]],
    { id: "leads" },
  );
}

describe("webhooks", () => {
  let api: TestApi;
  let cleanup = () => {};
  afterEach(async () => {
    await api?.dispose();
    cleanup();
  });

  async function setup(auth: "secret" | "hmac" = "secret") {
    const t = tempDir();
    cleanup = t.cleanup;
    api = apiContext({ keel: { dataDir: path.join(t.dir, "data") } });
    api.keel.vault.add({ name: "lead-hook", kind: "webhook", fields: { secret: SECRET }, allowedFlows: ["leads"] });
    await api.keel.flows.put(hookFlow(auth) as never);
  }
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    inject(api.app, { method: "POST", url, body: typeof body === "string" ? body : JSON.stringify(body), headers: { host: TEST_HOST, "content-type": "application/json", ...headers } });

  async function runsOf(flowId: string) {
    await api.keel.index.flush();
    return (await api.keel.index.list({ flowId })).items;
  }

  it("starts a run with the body as input when the secret header is right", async () => {
    await setup();
    const res = await post("/hooks/leads/new-lead", { name: "Ada" }, { "x-keel-secret": SECRET });
    expect(res.status).toBe(202);
    await waitDone(api, res.json.runId);
    const state = await api.keel.coordinator.state(res.json.runId);
    expect(state.status).toBe("succeeded");
    expect(state.input).toEqual({ name: "Ada" });
    expect(state.output).toEqual({ shape: { lead: "Ada", source: "webhook" } });
  });

  it("refuses without auth, with a wrong secret, and does not need (or accept instead) the API token", async () => {
    await setup();
    expect((await post("/hooks/leads/new-lead", { name: "x" })).status).toBe(401);
    expect((await post("/hooks/leads/new-lead", { name: "x" }, { "x-keel-secret": "wrong-secret-0123456789" })).status).toBe(401);
    const withToken = await post("/hooks/leads/new-lead", { name: "x" }, { authorization: "Bearer test-token-0123456789abcdef" });
    expect(withToken.status).toBe(401);
    expect(withToken.json).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    expect((await post("/hooks/leads/other-hook", { name: "x" }, { "x-keel-secret": SECRET })).status).toBe(404);
    expect((await post("/hooks/nope/new-lead", { name: "x" }, { "x-keel-secret": SECRET })).status).toBe(404);
    expect(await runsOf("leads")).toEqual([]);
  });

  it("a replayed delivery id starts one run only, also when the copies arrive together", async () => {
    await setup();
    const headers = { "x-keel-secret": SECRET, "x-keel-delivery": "d-1" };
    const first = await post("/hooks/leads/new-lead", { name: "Ada" }, headers);
    expect(first.status).toBe(202);
    const again = await post("/hooks/leads/new-lead", { name: "Ada" }, headers);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ runId: first.json.runId, duplicate: true });

    const together = await Promise.all([1, 2, 3].map(() => post("/hooks/leads/new-lead", { name: "Bob" }, { ...headers, "x-keel-delivery": "d-2" })));
    expect(together.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    expect(new Set(together.map((r) => r.json.runId)).size).toBe(1);
    await Promise.all([first.json.runId, together[0].json.runId].map((id) => waitDone(api, id)));
    expect(await runsOf("leads")).toHaveLength(2);
  });

  it("a delivery recorded just before a crash, whose run never started, starts that run (under the recorded id) when the sender retries", async () => {
    await setup();
    // what a kill between recording the delivery and starting its run leaves behind
    const deliveries = new FileDeliveryStore(path.join(api.keel.dataDir, "hooks", "deliveries"));
    const reserved = newRunId();
    await deliveries.put("leads/new-lead/d-9", { runId: reserved, at: new Date().toISOString() });
    const headers = { "x-keel-secret": SECRET, "x-keel-delivery": "d-9" };
    const retry = await post("/hooks/leads/new-lead", { name: "Ada" }, headers);
    expect(retry.status).toBe(202);
    expect(retry.json).toEqual({ runId: reserved });
    await waitDone(api, reserved);
    expect((await api.keel.coordinator.state(reserved)).output).toEqual({ shape: { lead: "Ada", source: "webhook" } });
    const again = await post("/hooks/leads/new-lead", { name: "Ada" }, headers);
    expect(again.json).toEqual({ runId: reserved, duplicate: true });
    expect(await runsOf("leads")).toHaveLength(1);
  });

  it("HMAC: a valid signature of the body starts a run; a signature of another body is refused", async () => {
    await setup("hmac");
    const body = JSON.stringify({ name: "Grace" });
    const sig = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
    const ok = await post("/hooks/leads/new-lead", body, { "x-keel-signature": sig });
    expect(ok.status).toBe(202);
    await waitDone(api, ok.json.runId);
    const tampered = await post("/hooks/leads/new-lead", JSON.stringify({ name: "Mallory" }), { "x-keel-signature": sig });
    expect(tampered.status).toBe(401);
    expect(tampered.json.error.message).toContain("signature");
    expect((await post("/hooks/leads/new-lead", body, { "x-keel-secret": SECRET })).status).toBe(401);
  });
});

async function waitDone(api: TestApi, runId: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const s = await api.keel.coordinator.state(runId);
    if (s.status === "succeeded" || s.status === "failed") return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} did not finish`);
}
