/** Scheduling: topological order, and independent branches running concurrently up to the bound. */
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { pause, startServer, type LocalServer } from "./local-server.ts";

let keel: ReturnType<typeof testKeel> | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await keel?.dispose();
  await server?.close();
  keel = server = undefined;
});

/**
 * A server that holds each request until `wanted` are in flight at once, or until a grace
 * period passes: so a sequential engine shows 1 in flight, a bounded one its bound, and an
 * unbounded one every request.
 */
async function gatheringServer(wanted: number, graceMs = 300): Promise<LocalServer> {
  const s: LocalServer = await startServer(async (_req, _raw, res) => {
    const until = Date.now() + graceMs;
    while (s.inFlight < wanted && Date.now() < until) await pause(5);
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  return s;
}

function fanOut(url: string, branches: number, extra: Record<string, unknown> = {}) {
  const nodes = [{ id: "start", type: "trigger.manual" }];
  const edges: Array<[string, string]> = [];
  for (let i = 0; i < branches; i++) {
    nodes.push({ id: `call${i}`, type: "action.http", params: { url: `${url}/b${i}` } } as never);
    edges.push(["start", `call${i}`]);
  }
  return makeFlow(nodes, edges, extra);
}

describe("scheduling", () => {
  it("runs nodes in topological order, whatever order the file lists them in", async () => {
    keel = testKeel();
    const flow = makeFlow(
      [
        { id: "d", type: "transform", params: { set: { v: "{{ nodes.b.output.v & nodes.c.output.v }}" } } },
        { id: "c", type: "transform", params: { set: { v: "{{ nodes.a.output.v & 'c' }}" } } },
        { id: "b", type: "transform", params: { set: { v: "{{ nodes.a.output.v & 'b' }}" } } },
        { id: "a", type: "transform", params: { set: { v: "a" } } },
      ],
      [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]],
    );
    const seen: RunEvent[] = [];
    keel.coordinator.on((_, e) => seen.push(e));
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ d: { v: "abac" } });
    const done = seen.filter((e) => e.type === "node.succeeded").map((e) => (e as { node: string }).node);
    expect(done[0]).toBe("a");
    expect(done[3]).toBe("d");
    const started = seen.filter((e) => e.type === "node.started").map((e) => (e as { node: string }).node);
    // no node starts before every node it depends on has finished
    for (const [from, to] of [["a", "b"], ["a", "c"], ["b", "d"], ["c", "d"]]) {
      const doneAt = seen.findIndex((e) => e.type === "node.succeeded" && e.node === from);
      const startAt = seen.findIndex((e) => e.type === "node.started" && e.node === to);
      expect(doneAt).toBeLessThan(startAt);
    }
    expect(started).toHaveLength(4);
  });

  it("runs independent branches at the same time (real HTTP calls in flight together)", async () => {
    server = await gatheringServer(4);
    keel = testKeel();
    const result = await keel.coordinator.run(fanOut(server.url, 4), {});
    expect(result.status).toBe("succeeded");
    expect(server.requests).toHaveLength(4);
    expect(server.maxInFlight).toBe(4);
  });

  it("never runs more nodes at once than the flow's concurrency", async () => {
    server = await gatheringServer(6);
    keel = testKeel();
    const result = await keel.coordinator.run(fanOut(server.url, 6, { concurrency: 2 }), {});
    expect(result.status).toBe("succeeded");
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(2);
  });

  it("uses the coordinator's default bound when the flow sets none", async () => {
    server = await gatheringServer(5);
    keel = testKeel({ coordinator: { concurrency: 3 } });
    const result = await keel.coordinator.run(fanOut(server.url, 5), {});
    expect(result.status).toBe("succeeded");
    expect(server.maxInFlight).toBe(3);
  });

  it("runs many runs side by side, each with its own result", async () => {
    keel = testKeel();
    const flow = makeFlow([{ id: "t", type: "transform", params: { set: { n: "{{ input.n * 10 }}" } } }]);
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => keel!.coordinator.run(flow, { n })));
    expect(results.map((r) => r.output.t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ n: n * 10 })));
    expect(new Set(results.map((r) => r.runId)).size).toBe(8);
  });
});
