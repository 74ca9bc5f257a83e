import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiContext, type TestApi } from "../server/support/api.ts";

const CORPUS = path.resolve(import.meta.dirname, "../fixtures/corpus");

describe("memory API", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = apiContext();
    await api.keel.memory.ingest(CORPUS, { collection: "studio" });
  });
  afterAll(() => api.dispose());

  it("searches with citations and filters", async () => {
    const r = await api.call("GET", "/api/memory/search?q=" + encodeURIComponent("who wants printed proofs by courier") + "&k=3&collection=studio");
    expect(r.status).toBe(200);
    expect(r.json.items[0]).toMatchObject({ citation: "clients/lumen-architects.md § Lumen Architects > Preferences", source: { kind: "file", file: "clients/lumen-architects.md" } });
    expect(r.json.items[0].id).toMatch(/^f_/);
    const filtered = await api.call("GET", "/api/memory/search?q=invoice&k=10&meta.file=sops/invoicing.md");
    expect(new Set(filtered.json.items.map((i: { source: { file: string } }) => i.source.file))).toEqual(new Set(["sops/invoicing.md"]));
  });

  it("writes a manual memory, updates its near-duplicate, reads, promotes and deletes it", async () => {
    const created = await api.call("POST", "/api/memory", { text: "Copperline Cycles wants the ride map by 1 April.", collection: "crm", metadata: { client: "copperline" }, note: "phone call" });
    expect(created.status).toBe(201);
    expect(created.json.item).toMatchObject({ tier: "working", source: { kind: "manual", note: "phone call" }, metadata: { client: "copperline" } });
    const id = created.json.result.id;
    const again = await api.call("POST", "/api/memory", { text: "Copperline Cycles wants the ride map by 1 April", collection: "crm" });
    expect(again.status).toBe(200);
    expect(again.json.result).toMatchObject({ id, action: "skipped" });
    expect((await api.call("POST", `/api/memory/${id}/promote`)).json.item).toMatchObject({ tier: "long" });
    expect((await api.call("GET", `/api/memory/${id}`)).json.item.expiresAt).toBeUndefined();
    expect((await api.call("DELETE", `/api/memory/${id}`)).status).toBe(204);
    expect((await api.call("GET", `/api/memory/${id}`)).status).toBe(404);
    expect((await api.call("DELETE", `/api/memory/${id}`)).status).toBe(404);
  });

  it("answers bad requests with 400s that say what is wrong", async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ["GET", "/api/memory/search", undefined, /needs a query/],
      ["GET", "/api/memory/search?q=x&k=500", undefined, /k must be an integer/],
      ["GET", "/api/memory/search?q=x&tier=hot", undefined, /tier must be one of/],
      ["GET", "/api/memory/search?q=x&mode=magic", undefined, /mode must be one of/],
      ["POST", "/api/memory", { text: "" }, /text must be a non-empty string/],
      ["POST", "/api/memory", { text: "x", color: "red" }, /unknown field color/],
      ["POST", "/api/memory", { text: "x", metadata: [1] }, /metadata must be an object/],
      ["POST", "/api/memory", [1, 2], /must be a JSON object/],
    ];
    for (const [method, url, body, message] of cases) {
      const r = await api.call(method, url, body);
      expect(r.status, `${method} ${url}`).toBe(400);
      expect(r.json.error.code).toBe("VALIDATION");
      expect(r.json.error.message).toMatch(message);
    }
  });

  it("needs the token", async () => {
    const r = await api.call("GET", "/api/memory/search?q=x", undefined, { authorization: undefined });
    expect(r.status).toBe(401);
  });

  it("reports stats", async () => {
    const r = await api.call("GET", "/api/memory/stats");
    expect(r.json.tables[0].collections.studio.long).toBeGreaterThan(30);
  });
});
