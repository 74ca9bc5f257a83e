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

const greet = makeFlow(
  [
    { id: "start", type: "trigger.manual" },
    { id: "greet", type: "transform", params: { set: { text: "Hello {{ input.name }}" } } },
  ],
  [["start", "greet"]],
  { id: "greet", name: "Greet", input: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
);
const sleepy = makeFlow(
  [
    { id: "start", type: "trigger.manual" },
    { id: "nap", type: "wait.timer", params: { ms: 3_600_000 } },
  ],
  [["start", "nap"]],
  { id: "sleepy", name: "Sleepy" },
);

/** Reads a run until `done` says so (bounded). */
async function until(runId: string, done: (body: any) => boolean): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const res = await api.call("GET", `/api/runs/${runId}`);
    expect(res.status).toBe(200);
    if (done(res.json)) return res.json;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} did not get there`);
}

describe("runs API", () => {
  test("a run starts from a saved flow and its state and events can be read", async () => {
    await api.call("POST", "/api/flows", greet);
    const started = await api.call("POST", "/api/flows/greet/runs", { input: { name: "Ada" } });
    expect(started.status).toBe(202);
    const { runId } = started.json;
    expect(runId).toMatch(/^r-/);
    const body = await until(runId, (b) => b.run.status === "succeeded");
    expect(body.run.output).toEqual({ greet: { text: "Hello Ada" } });
    expect(body.run.nodes.greet).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(body.summary).toMatchObject({ id: runId, flowId: "greet", flowName: "Greet", status: "succeeded" });
    const types = body.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe("run.created");
    expect(types.at(-1)).toBe("run.succeeded");
    const later = await api.call("GET", `/api/runs/${runId}?after=${body.events.length - 1}`);
    expect(later.json.events.map((e: { type: string }) => e.type)).toEqual(["run.succeeded"]);
  });

  test("input that fails the flow's input schema is a 400 and starts nothing", async () => {
    await api.call("POST", "/api/flows", greet);
    const res = await api.call("POST", "/api/flows/greet/runs", { input: { name: 42 } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain("input.name");
    expect((await api.call("GET", "/api/runs")).json.items).toEqual([]);
  });

  test("a run of an unknown flow is a 404; unknown body fields are a 400", async () => {
    expect((await api.call("POST", "/api/flows/nope/runs", {})).status).toBe(404);
    await api.call("POST", "/api/flows", greet);
    const res = await api.call("POST", "/api/flows/greet/runs", { name: "Ada" });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('unknown field "name"');
  });

  test("runs are listed newest first, filtered by flow and status, page by page", async () => {
    await api.call("POST", "/api/flows", greet);
    await api.call("POST", "/api/flows", sleepy);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.call("POST", "/api/flows/greet/runs", { input: { name: `n${i}` } })).json.runId);
    const nap = (await api.call("POST", "/api/flows/sleepy/runs")).json.runId;
    for (const id of ids) await until(id, (b) => b.run.status === "succeeded");
    await until(nap, (b) => b.run.status === "waiting");
    await api.keel.index.flush();

    const all = (await api.call("GET", "/api/runs")).json.items.map((r: { id: string }) => r.id);
    expect(all).toEqual([...ids, nap].sort().reverse());
    const greets = await api.call("GET", "/api/runs?flow=greet&limit=2");
    expect(greets.json.items).toHaveLength(2);
    expect(greets.json.items.every((r: { flowId: string }) => r.flowId === "greet")).toBe(true);
    const rest = await api.call("GET", `/api/runs?flow=greet&limit=2&cursor=${greets.json.nextCursor}`);
    expect(rest.json.items).toHaveLength(1);
    expect(rest.json.nextCursor).toBeUndefined();
    const waiting = await api.call("GET", "/api/runs?status=waiting");
    expect(waiting.json.items.map((r: { id: string }) => r.id)).toEqual([nap]);
    await api.call("POST", `/api/runs/${nap}/cancel`);
  });

  test.each([
    ["status=done", "status must be one of"],
    ["limit=0", "limit must be"],
    ["limit=abc", "limit must be"],
    ["limit=5000", "limit must be"],
    ["cursor=../../x", "cursor must be"],
    ["status=failed&status=running", "must be given once"],
  ])("GET /api/runs?%s is a 400", async (query, message) => {
    const res = await api.call("GET", `/api/runs?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain(message);
  });

  test("a waiting run is canceled; canceling again is a 409", async () => {
    await api.call("POST", "/api/flows", sleepy);
    const { runId } = (await api.call("POST", "/api/flows/sleepy/runs", {})).json;
    await until(runId, (b) => b.run.status === "waiting");
    const canceled = await api.call("POST", `/api/runs/${runId}/cancel`, { reason: "changed my mind" });
    expect(canceled.status).toBe(200);
    expect(canceled.json.run.status).toBe("canceled");
    const read = await api.call("GET", `/api/runs/${runId}`);
    expect(read.json.run.status).toBe("canceled");
    expect(read.json.events.at(-1)).toMatchObject({ type: "run.canceled", reason: "changed my mind" });
    const again = await api.call("POST", `/api/runs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("CONFLICT");
  });

  test("unknown runs are a 404, whatever the id looks like", async () => {
    for (const id of ["r-20260101-000000-0123456789", "nope", "..%2F..%2Fowner.lock"]) {
      expect((await api.call("GET", `/api/runs/${id}`)).status).toBe(404);
      expect((await api.call("POST", `/api/runs/${id}/cancel`)).status).toBe(404);
    }
  });
});
