/** Engine behaviour at the edges: cancel during a backoff, waking what does not wait, faulty listeners, replaying a failed run. */
import { afterEach, describe, expect, it } from "vitest";
import { makeFlow, testKeel } from "../support/keel.ts";
import { eventually, reply, startServer, type LocalServer } from "./local-server.ts";
import { callsOf, testRegistry } from "./test-nodes.ts";

let keel: ReturnType<typeof testKeel> | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await keel?.dispose();
  await server?.close();
  keel = server = undefined;
});

describe("engine edges", () => {
  it("cancels a run while a node waits out its retry backoff, without waiting for it", async () => {
    keel = testKeel({ coordinator: { registry: testRegistry() } });
    const flow = makeFlow([{ id: "f", type: "test.flaky", params: { failures: 5 }, retry: { attempts: 6, backoffMs: 3_600_000 } }]);
    const { runId, done } = await keel.coordinator.start(flow, {});
    await eventually(() => callsOf(runId, "f").length === 1, "the first attempt");
    const events = () => keel!.coordinator.events(runId);
    for (let i = 0; i < 500 && !(await events()).some((e) => e.type === "node.retry"); i++) await new Promise((r) => setTimeout(r, 10));
    const result = await keel.coordinator.cancel(runId);
    expect(result.status).toBe("canceled");
    expect((await done).status).toBe("canceled");
    expect(callsOf(runId, "f")).toHaveLength(1);
  });

  it("answers CONFLICT when waking a node that is not waiting", async () => {
    keel = testKeel();
    const r = await keel.coordinator.run(makeFlow([{ id: "a", type: "transform" }]), {});
    await expect(keel.coordinator.wake(r.runId, "a", { timedOut: false })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(keel.coordinator.cancel(r.runId)).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("a listener that throws does not change the run", async () => {
    keel = testKeel({ coordinator: { log: () => {} } });
    keel.coordinator.on(() => {
      throw new Error("a buggy subscriber");
    });
    const result = await keel.coordinator.run(makeFlow([{ id: "a", type: "transform", params: { set: { x: 1 } } }, { id: "b", type: "transform" }], [["a", "b"]]), {});
    expect(result.status).toBe("succeeded");
    expect(result.nodes.a).toMatchObject({ status: "succeeded", attempts: 1 });
    const types = (await keel.coordinator.events(result.runId)).map((e) => e.type);
    expect(types.filter((t) => t === "node.failed")).toEqual([]);
  });

  it("replays a failed run from the failed node with a fixed flow, without repeating earlier actions", async () => {
    server = await startServer((req, _raw, res) => (req.path === "/v1/send" ? reply(res, 404, { error: "gone" }) : undefined));
    keel = testKeel();
    const flow = (version: string) =>
      makeFlow(
        [
          { id: "quote", type: "action.http", params: { url: `${server!.url}/quote` } },
          { id: "send", type: "action.http", params: { url: `${server!.url}/${version}/send` } },
        ],
        [["quote", "send"]],
      );
    const failed = await keel.coordinator.run(flow("v1"), {});
    expect(failed.status).toBe("failed");
    const fixed = await (await keel.coordinator.rerun(failed.runId, "send", flow("v2"))).done;
    expect(fixed.status).toBe("succeeded");
    expect(server.requests.map((r) => r.path)).toEqual(["/quote", "/v1/send", "/v2/send"]);
  });
});
