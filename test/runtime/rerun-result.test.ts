/** Re-running from a node reuses upstream outputs; the shape of a run result. */
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { startServer, type LocalServer } from "./local-server.ts";

let keel: ReturnType<typeof testKeel> | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await keel?.dispose();
  await server?.close();
  keel = server = undefined;
});

function quoteFlow(url: string, greeting = "Dear") {
  return makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      { id: "price", type: "action.http", params: { url: `${url}/price`, body: { client: "{{ input.client }}" } } },
      { id: "draft", type: "transform", params: { set: { text: `${greeting} {{ input.client }}, {{ nodes.price.output.body.path }}` } } },
      { id: "send", type: "action.http", params: { url: `${url}/send`, body: "{{ nodes.draft.output }}" } },
    ],
    [["start", "price"], ["price", "draft"], ["draft", "send"]],
  );
}

describe("re-run from a node", () => {
  it("reuses upstream outputs without calling them again, and runs the rest", async () => {
    server = await startServer();
    keel = testKeel();
    const first = await keel.coordinator.run(quoteFlow(server.url), { client: "Acme" });
    expect(first.status).toBe("succeeded");
    expect(server.requests.map((r) => r.path)).toEqual(["/price", "/send"]);

    // fix the prompt and replay from the draft: the paid-for price call is not made again
    const { runId, done } = await keel.coordinator.rerun(first.runId, "draft", quoteFlow(server.url, "Hello"));
    const second = await done;
    expect(second.status).toBe("succeeded");
    expect(runId).not.toBe(first.runId);
    expect(server.requests.map((r) => r.path)).toEqual(["/price", "/send", "/send"]);
    expect(second.nodes.draft.output).toEqual({ text: "Hello Acme, /price" });
    expect(second.nodes.price.output).toEqual(first.nodes.price.output);
    expect(JSON.parse(server.requests[2].body)).toEqual({ text: "Hello Acme, /price" });
    // the new run has its own idempotency keys
    expect(server.requests[2].key).toBe(`keel:${runId}:send`);

    const events = await keel.coordinator.events(runId);
    expect(events[0]).toMatchObject({ type: "run.created", parentRunId: first.runId, fromNode: "draft" });
    const succeeded = events.filter((e): e is Extract<RunEvent, { type: "node.succeeded" }> => e.type === "node.succeeded");
    expect(succeeded.filter((e) => e.reused).map((e) => e.node)).toEqual(["start", "price"]);
    expect(succeeded.filter((e) => !e.reused).map((e) => e.node)).toEqual(["draft", "send"]);
    expect(events.some((e) => e.type === "node.started" && (e.node === "start" || e.node === "price"))).toBe(false);
    expect((await keel.index.get(runId))?.parentRunId ?? (await keel.coordinator.state(runId)).parentRunId).toBe(first.runId);
  });

  it("re-runs the same flow when none is given", async () => {
    server = await startServer();
    keel = testKeel();
    const first = await keel.coordinator.run(quoteFlow(server.url), { client: "Bo" });
    const second = await (await keel.coordinator.rerun(first.runId, "send")).done;
    expect(second.status).toBe("succeeded");
    expect(second.output).toEqual(first.output);
    expect(server.requests.map((r) => r.path)).toEqual(["/price", "/send", "/send"]);
  });

  it("keeps the branch taken upstream: the other side stays skipped", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "if", type: "logic.branch", params: { condition: "{{ input.big }}" } },
        { id: "vip", type: "transform", params: { set: { who: "vip" } } },
        { id: "regular", type: "transform", params: { set: { who: "regular" } } },
        { id: "join", type: "logic.merge" },
      ],
      [["if", "vip", "true"], ["if", "regular", "false"], ["vip", "join"], ["regular", "join"]],
    );
    const first = await keel.coordinator.run(flow, { big: true });
    const again = await (await keel.coordinator.rerun(first.runId, "join")).done;
    expect(again.status).toBe("succeeded");
    expect(again.nodes.regular.status).toBe("skipped");
    expect(again.output).toEqual({ join: { inputs: { vip: { who: "vip" } } } });
  });

  it("refuses a node the run does not have", async () => {
    keel = testKeel();
    const first = await keel.coordinator.run(makeFlow([{ id: "a", type: "transform" }]), {});
    await expect(keel.coordinator.rerun(first.runId, "zzz")).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining('"zzz"') });
  });
});

describe("the run result", () => {
  it("holds runId, status, the sinks' outputs keyed by id, and every node", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "left", type: "transform", params: { set: { side: "left", n: "{{ input.n }}" } } },
        { id: "right", type: "transform", params: { set: { side: "right" } } },
        { id: "mid", type: "transform", params: { set: { x: 1 } } },
      ],
      [["start", "mid"], ["mid", "left"], ["mid", "right"]],
    );
    const result = await keel.coordinator.run(flow, { n: 7 });
    expect(Object.keys(result).sort()).toEqual(["flowId", "nodes", "output", "runId", "status"]);
    expect(result.runId).toMatch(/^r-\d{8}-\d{6}-[0-9a-f]{10}$/);
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ left: { side: "left", n: 7 }, right: { side: "right" } });
    expect(result.nodes).toEqual({
      start: { status: "succeeded", attempts: 1, output: { n: 7 } },
      mid: { status: "succeeded", attempts: 1, output: { x: 1 } },
      left: { status: "succeeded", attempts: 1, output: { side: "left", n: 7 } },
      right: { status: "succeeded", attempts: 1, output: { side: "right" } },
    });
    // the same result is read back from the log
    const state = await keel.coordinator.state(result.runId);
    expect(state.status).toBe("succeeded");
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it("shows the error of a failed run and of its node", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "bad", type: "transform", params: { set: { x: "{{ $error('boom') }}" } } },
        { id: "after", type: "transform" },
      ],
      [["bad", "after"]],
    );
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("failed");
    expect(result.output).toEqual({});
    expect(result.error).toMatchObject({ code: "VALIDATION", retryable: false });
    expect(result.error?.message).toContain('node "bad" failed');
    expect(result.nodes.bad).toMatchObject({ status: "failed", attempts: 1, error: { code: "VALIDATION" } });
    expect(result.nodes.bad.error?.message).toContain("boom");
    expect(result.nodes.after).toEqual({ status: "skipped", attempts: 0 });
  });
});
