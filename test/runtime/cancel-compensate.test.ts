/** Cancellation of a running run, and saga compensation against a real HTTP server. */
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { eventually, pause, reply, startServer, type LocalServer } from "./local-server.ts";

let keel: ReturnType<typeof testKeel> | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await keel?.dispose();
  await server?.close();
  keel = server = undefined;
});

describe("cancellation", () => {
  it("aborts a running action and marks the run canceled", async () => {
    // the server never answers /hang: only the client giving up ends the request
    server = await startServer((req) => (req.path === "/hang" ? new Promise<void>(() => {}) : undefined));
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        { id: "call", type: "action.http", params: { url: `${server.url}/hang` } },
        { id: "after", type: "action.http", params: { url: `${server.url}/after` } },
      ],
      [["start", "call"], ["call", "after"]],
    );
    const { runId, done } = await keel.coordinator.start(flow, {});
    await eventually(() => server!.requests.length === 1, "the call to reach the server");
    const canceled = await keel.coordinator.cancel(runId, "operator changed their mind");
    expect(canceled.status).toBe("canceled");
    expect((await done).status).toBe("canceled");
    await eventually(() => server!.aborted.length === 1, "the request to be aborted");
    expect(server.requests.map((r) => r.path)).toEqual(["/hang"]); // nothing after it started
    expect(canceled.nodes.after.status).toBe("skipped");
    expect(canceled.nodes.call.status).not.toBe("succeeded");
    const events = await keel.coordinator.events(runId);
    expect(events.at(-1)).toMatchObject({ type: "run.canceled", reason: "operator changed their mind" });
    // a canceled run is finished: a second cancel is a conflict, and resume leaves it alone
    await expect(keel.coordinator.cancel(runId)).rejects.toMatchObject({ code: "CONFLICT" });
    await keel.coordinator.flush();
    expect(await keel.store.openRuns()).not.toContain(runId);
  });

  it("cancels a run that waits on a timer", async () => {
    keel = testKeel();
    const flow = makeFlow([{ id: "wait", type: "wait.timer", params: { ms: 3_600_000 } }, { id: "after", type: "transform" }], [["wait", "after"]]);
    const waiting = await keel.coordinator.run(flow, {});
    expect(waiting.status).toBe("waiting");
    const canceled = await keel.coordinator.cancel(waiting.runId);
    expect(canceled.status).toBe("canceled");
    expect((await keel.coordinator.state(waiting.runId)).status).toBe("canceled");
  });
});

describe("compensation", () => {
  /** Records which compensations the server received, in order. */
  async function sagaServer(): Promise<LocalServer> {
    return startServer(async (req, _raw, res) => {
      if (req.path.startsWith("/slow")) await pause(150);
      if (req.path === "/fail") return reply(res, 400, { error: "no such account" });
    });
  }

  function sagaFlow(url: string, onFailure: "fail" | "compensate") {
    const action = (id: string, path: string) => ({
      id,
      type: "action.http",
      params: { url: `${url}${path}`, body: { step: id }, compensate: { url: `${url}/undo/${id}`, body: { undo: id } } },
    });
    // slow and fast run side by side; fast finishes first although slow is listed first
    return makeFlow(
      [
        { id: "start", type: "trigger.manual" },
        action("reserve", "/reserve"),
        action("slow", "/slow"),
        action("fast", "/fast"),
        action("charge", "/fail"),
      ],
      [["start", "reserve"], ["reserve", "slow"], ["reserve", "fast"], ["slow", "charge"], ["fast", "charge"]],
      { onFailure },
    );
  }

  it("undoes finished actions in reverse order of completion, each recorded", async () => {
    server = await sagaServer();
    keel = testKeel();
    const result = await keel.coordinator.run(sagaFlow(server.url, "compensate"), {});
    expect(result.status).toBe("failed");
    expect(result.error?.message).toContain('node "charge" failed');
    expect(result.nodes.charge.error).toMatchObject({ code: "NODE_FAILED", retryable: false });

    const undo = server.requests.filter((r) => r.path.startsWith("/undo/"));
    // completion order was reserve, fast, slow: undone slow, fast, reserve; the failed charge is not undone
    expect(undo.map((r) => r.path)).toEqual(["/undo/slow", "/undo/fast", "/undo/reserve"]);
    expect(undo.map((r) => JSON.parse(r.body))).toEqual([{ undo: "slow" }, { undo: "fast" }, { undo: "reserve" }]);
    for (const r of undo) expect(r.key).toBe(`keel:${result.runId}:${r.path.slice(6)}:compensate`);

    const events = await keel.coordinator.events(result.runId);
    const done = events.filter((e) => e.type === "node.succeeded").map((e) => (e as { node: string }).node);
    expect(done).toEqual(["start", "reserve", "fast", "slow"]);
    const steps = events
      .filter((e) => e.type.startsWith("compensation."))
      .map((e) => `${e.type.slice(13)} ${(e as { node: string }).node}`);
    expect(steps).toEqual(["started slow", "succeeded slow", "started fast", "succeeded fast", "started reserve", "succeeded reserve"]);
    // the run fails only after its compensations are recorded
    expect(events.at(-1)?.type).toBe("run.failed");
  });

  it("records a failed compensation and carries on with the others", async () => {
    server = await startServer(async (req, _raw, res) => {
      if (req.path === "/fail" || req.path === "/undo/b") return reply(res, 400, { error: "nope" });
    });
    keel = testKeel();
    const mk = (id: string, path: string) => ({
      id,
      type: "action.http",
      params: { url: `${server!.url}${path}`, compensate: { url: `${server!.url}/undo/${id}` } },
    });
    const flow = makeFlow([mk("a", "/a"), mk("b", "/b"), mk("c", "/fail")], [["a", "b"], ["b", "c"]], { onFailure: "compensate" });
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("failed");
    const events = await keel.coordinator.events(result.runId);
    const failed = events.find((e): e is Extract<RunEvent, { type: "compensation.failed" }> => e.type === "compensation.failed");
    expect(failed?.node).toBe("b");
    expect(failed?.error.message).toContain("answered 400");
    expect(events.some((e) => e.type === "compensation.succeeded" && e.node === "a")).toBe(true);
    expect(server.requests.filter((r) => r.path.startsWith("/undo/")).map((r) => r.path)).toEqual(["/undo/b", "/undo/a"]);
  });

  it("compensates nothing when the flow does not ask for it", async () => {
    server = await sagaServer();
    keel = testKeel();
    const result = await keel.coordinator.run(sagaFlow(server.url, "fail"), {});
    expect(result.status).toBe("failed");
    expect(server.requests.some((r) => r.path.startsWith("/undo/"))).toBe(false);
    const events = await keel.coordinator.events(result.runId);
    expect(events.some((e) => e.type.startsWith("compensation."))).toBe(false);
  });
});
