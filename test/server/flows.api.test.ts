import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { makeFlow } from "../support/keel.ts";
import { apiContext, type TestApi } from "./support/api.ts";

let api: TestApi;
beforeEach(() => {
  api = apiContext();
});
afterEach(async () => {
  await api.dispose();
});

const hello = () =>
  makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "greet", type: "transform", params: { set: { text: "Hello {{ input.name }}" } } },
    ],
    [["start", "greet"]],
    { id: "hello", name: "Hello" },
  );

describe("flows API", () => {
  test("a flow is created, listed, read, replaced and deleted", async () => {
    const created = await api.call("POST", "/api/flows", hello());
    expect(created.status).toBe(201);
    expect(created.json.flow).toMatchObject({ id: "hello", name: "Hello" });

    const list = await api.call("GET", "/api/flows");
    expect(list.json.items).toEqual([expect.objectContaining({ id: "hello", name: "Hello", nodes: 2 })]);

    expect((await api.call("GET", "/api/flows/hello")).json.flow.nodes).toHaveLength(2);

    const renamed = { ...hello(), name: "Hello again" };
    const put = await api.call("PUT", "/api/flows/hello", renamed);
    expect(put.status).toBe(200);
    expect((await api.call("GET", "/api/flows/hello")).json.flow.name).toBe("Hello again");

    expect((await api.call("DELETE", "/api/flows/hello")).status).toBe(204);
    const gone = await api.call("GET", "/api/flows/hello");
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe("NOT_FOUND");
    expect((await api.call("DELETE", "/api/flows/hello")).status).toBe(404);
  });

  test("creating a flow whose id exists is a 409 and leaves the saved flow alone", async () => {
    await api.call("POST", "/api/flows", hello());
    const again = await api.call("POST", "/api/flows", { ...hello(), name: "Other" });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("CONFLICT");
    expect((await api.call("GET", "/api/flows/hello")).json.flow.name).toBe("Hello");
  });

  test("an invalid flow is a 400 with the CLI's messages, naming the node", async () => {
    const bad = makeFlow([{ id: "a", type: "transfrom" }], [], { id: "bad", name: "Bad" });
    const res = await api.call("POST", "/api/flows", bad);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION");
    expect(res.json.error.message).toContain('node "a": unknown node type "transfrom"');
    expect(res.json.error.details.issues).toEqual([expect.objectContaining({ nodeId: "a", path: "nodes[0].type" })]);
    expect((await api.call("GET", "/api/flows")).json.items).toEqual([]);
  });

  test("a cycle is named in the 400", async () => {
    const cyc = makeFlow(
      [
        { id: "a", type: "transform" },
        { id: "b", type: "transform" },
      ],
      [
        ["a", "b"],
        ["b", "a"],
      ],
      { id: "cyc", name: "Cycle" },
    );
    const res = await api.call("PUT", "/api/flows/cyc", cyc);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/cycle: "a" → "b" → "a"|cycle: "b" → "a" → "b"/);
  });

  test("PUT with an id that differs from the URL is a 400", async () => {
    const res = await api.call("PUT", "/api/flows/other", hello());
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('must equal the id in the URL ("other")');
  });

  test("validate answers 200 with the issues, or ok", async () => {
    const ok = await api.call("POST", "/api/flows/validate", hello());
    expect(ok.json).toEqual({ ok: true });
    const bad = await api.call("POST", "/api/flows/validate", makeFlow([{ id: "w", type: "wait.timer", params: { ms: -1 } }]));
    expect(bad.status).toBe(200);
    expect(bad.json.ok).toBe(false);
    expect(bad.json.issues[0]).toMatchObject({ nodeId: "w", path: "nodes[0].params.ms" });
    expect(bad.json.issues[0].message).toContain('node "w" (wait.timer) params.ms');
  });

  test("an id that cannot be a flow id is a 404, not a file look-up", async () => {
    const res = await api.call("GET", "/api/flows/..%2F..%2Fetc%2Fpasswd");
    expect(res.status).toBe(404);
  });
});

describe("node types API", () => {
  test("every node type comes with its params as JSON Schema", async () => {
    const res = await api.call("GET", "/api/node-types");
    expect(res.status).toBe(200);
    const timer = res.json.items.find((t: { type: string }) => t.type === "wait.timer");
    expect(timer).toMatchObject({ title: "Wait", category: "logic", kind: "wait", ports: null });
    expect(timer.params).toMatchObject({ type: "object", properties: { ms: { type: "integer", minimum: 0 } }, required: ["ms"] });
    const branch = res.json.items.find((t: { type: string }) => t.type === "logic.branch");
    expect(branch.ports).toEqual(["true", "false"]);
    expect(res.json.items.length).toBe(api.keel.registry.list().length);
  });
});
