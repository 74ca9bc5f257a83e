/** /api/credentials (values write-only) and a flow that is not allowed to use a credential. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeFlow } from "../support/keel.ts";
import { apiContext, type TestApi } from "../server/support/api.ts";

const SECRET = "api-secret-4f1c9a7e2b";
const previousKey = process.env.KEEL_MASTER_KEY;
let api: TestApi;
let server: http.Server;
let base = "";
const seen: string[] = [];

beforeAll(async () => {
  process.env.KEEL_MASTER_KEY = "c".repeat(64); // no key file beside the temp data folders
  server = http.createServer((req, res) => {
    seen.push(req.headers["x-api-key"] as string);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ key: req.headers["x-api-key"] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (previousKey === undefined) delete process.env.KEEL_MASTER_KEY;
  else process.env.KEEL_MASTER_KEY = previousKey;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  api = apiContext();
});
afterEach(() => api.dispose());

const callWith = (flowId: string) =>
  makeFlow([{ id: "call", type: "action.http", params: { url: `${base}/`, method: "GET", credential: "svc" } }], [], { id: flowId, name: flowId });

describe("/api/credentials", () => {
  it("stores values but never returns them", async () => {
    const created = await api.call("POST", "/api/credentials", { name: "svc", kind: "http-header", fields: { name: "X-Api-Key", value: SECRET }, allowedFlows: ["allowed"] });
    expect(created.status).toBe(201);
    expect(created.json.credential).toMatchObject({ name: "svc", kind: "http-header", allowedFlows: ["allowed"], fields: ["name", "value"] });
    const list = await api.call("GET", "/api/credentials");
    expect(list.json.items).toHaveLength(1);
    expect(list.json.kinds["http-header"].fields.value.secret).toBe(true);
    const one = await api.call("GET", "/api/credentials/svc");
    const changed = await api.call("PUT", "/api/credentials/svc", { allowedFlows: ["allowed", "other"] });
    expect(changed.json.credential.allowedFlows).toEqual(["allowed", "other"]);
    for (const r of [created, list, one, changed]) expect(r.text).not.toContain(SECRET);
    expect((await api.call("POST", "/api/credentials", { name: "svc", kind: "http-header", fields: { name: "X", value: SECRET } })).status).toBe(409);
    expect((await api.call("PUT", "/api/credentials/svc", { kind: "basic" })).status).toBe(400);
    expect((await api.call("DELETE", "/api/credentials/svc")).status).toBe(204);
    expect((await api.call("GET", "/api/credentials/svc")).status).toBe(404);
  });

  it("says which field is missing", async () => {
    const r = await api.call("POST", "/api/credentials", { name: "svc", kind: "basic", fields: { username: "me" } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe('credential "svc": kind basic needs field password');
  });

  it("serves runs that used a secret with the secret redacted", async () => {
    await api.call("PUT", "/api/credentials/svc", { kind: "http-header", fields: { name: "X-Api-Key", value: SECRET }, allowedFlows: ["allowed"] });
    const result = await api.keel.coordinator.run(callWith("allowed"), {});
    expect(result.status).toBe("succeeded");
    expect(seen).toContain(SECRET);
    const r = await api.call("GET", `/api/runs/${result.runId}`);
    expect(r.json.run.nodes.call.output.body).toEqual({ key: "[secret:svc]" });
    expect(r.text).not.toContain(SECRET);
  });
});

describe("a flow that is not allowed", () => {
  it("fails the node with FORBIDDEN, recorded in the trace, and sends nothing", async () => {
    await api.call("POST", "/api/credentials", { name: "svc", kind: "http-header", fields: { name: "X-Api-Key", value: SECRET }, allowedFlows: ["allowed"] });
    const before = seen.length;
    const result = await api.keel.coordinator.run(callWith("intruder"), {});
    expect(result.status).toBe("failed");
    expect(result.nodes.call.error).toMatchObject({ code: "FORBIDDEN", message: 'flow "intruder" is not allowed to use credential "svc"', retryable: false });
    const events = await api.keel.coordinator.events(result.runId);
    expect(events).toContainEqual(expect.objectContaining({ type: "node.trace", node: "call", kind: "credential.refused", data: expect.objectContaining({ name: "svc", code: "FORBIDDEN" }) }));
    expect(events).toContainEqual(expect.objectContaining({ type: "node.failed", node: "call", error: expect.objectContaining({ code: "FORBIDDEN" }) }));
    expect(seen.length).toBe(before);
  });

  it("gives a code node no credential unless the flow passes one, and then only an allowed one", async () => {
    await api.call("POST", "/api/credentials", { name: "svc", kind: "api-key", fields: { apiKey: SECRET }, allowedFlows: ["allowed"] });
    const peek = (flowId: string, credentials: string[]) =>
      makeFlow([{ id: "peek", type: "code.js", params: { credentials, code: "console.log(JSON.stringify(helpers.credentials)); return Object.keys(helpers.credentials)" } }], [], { id: flowId, name: flowId });
    expect((await api.keel.coordinator.run(peek("allowed", []), {})).output).toEqual({ peek: [] });
    const given = await api.keel.coordinator.run(peek("allowed", ["svc"]), {});
    expect(given.output).toEqual({ peek: ["svc"] });
    const log = (await api.keel.coordinator.events(given.runId)).find((e) => e.type === "node.log");
    expect(log).toMatchObject({ message: '{"svc":{"kind":"api-key","fields":{"apiKey":"[secret:svc]"}}}' });
    const denied = await api.keel.coordinator.run(peek("intruder", ["svc"]), {});
    expect(denied.nodes.peek.error?.code).toBe("FORBIDDEN");
  });
});
