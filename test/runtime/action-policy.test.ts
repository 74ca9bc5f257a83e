/** Policies on real action calls: retries keep the idempotency key, timeouts abort the request. */
import { afterEach, describe, expect, it } from "vitest";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { makeFlow, testKeel } from "../support/keel.ts";
import { eventually, reply, startServer, type LocalServer } from "./local-server.ts";

let keel: ReturnType<typeof testKeel> | undefined;
let server: LocalServer | undefined;
afterEach(async () => {
  await keel?.dispose();
  await server?.close();
  keel = server = undefined;
});

describe("actions under policy", () => {
  it("retries a 503 with the same Idempotency-Key, writing an intent before every call", async () => {
    let calls = 0;
    server = await startServer((_req, _raw, res) => (++calls <= 2 ? reply(res, 503, { busy: true }) : undefined));
    keel = testKeel();
    const flow = makeFlow([{ id: "pay", type: "action.http", params: { url: `${server.url}/pay` }, retry: { attempts: 3, backoffMs: 5 } }]);
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("succeeded");
    expect(result.nodes.pay.attempts).toBe(3);
    const key = `keel:${result.runId}:pay`;
    expect(server.requests.map((r) => r.key)).toEqual([key, key, key]);
    const events = await keel.coordinator.events(result.runId);
    const kinds = events.filter((e) => e.type.startsWith("node.")).map((e) => e.type);
    expect(kinds).toEqual([
      "node.started", "node.intent", "node.retry",
      "node.started", "node.intent", "node.retry",
      "node.started", "node.intent", "node.succeeded",
    ]);
    const retry = events.find((e): e is Extract<RunEvent, { type: "node.retry" }> => e.type === "node.retry")!;
    expect(retry.error).toMatchObject({ code: "TRANSIENT", retryable: true, details: { status: 503 } });
  });

  it("aborts a call that outlives timeoutMs, and fails with TIMEOUT when retries run out", async () => {
    server = await startServer(() => new Promise<void>(() => {})); // never answers
    keel = testKeel();
    const flow = makeFlow([{ id: "slow", type: "action.http", params: { url: `${server.url}/slow` }, timeoutMs: 150, retry: { attempts: 2, backoffMs: 5 } }]);
    const result = await keel.coordinator.run(flow, {});
    expect(result.status).toBe("failed");
    expect(result.nodes.slow).toMatchObject({ status: "failed", attempts: 2, error: { code: "TIMEOUT", retryable: true } });
    expect(server.requests).toHaveLength(2);
    await eventually(() => server!.aborted.length === 2, "both requests to be aborted");
  });

  it("fails a node whose params are wrong once expressions are evaluated, without retrying", async () => {
    keel = testKeel();
    const flow = makeFlow([{ id: "pause", type: "wait.timer", params: { ms: "{{ input.ms }}" }, retry: { attempts: 3, backoffMs: 1 } }]);
    const result = await keel.coordinator.run(flow, { ms: "soon" });
    expect(result.status).toBe("failed");
    expect(result.nodes.pause).toMatchObject({ status: "failed", attempts: 1, error: { code: "VALIDATION", retryable: false } });
    expect(result.nodes.pause.error?.message).toContain('node "pause" (wait.timer) params.ms');
    expect(result.nodes.pause.error?.message).toContain("after evaluating expressions");
  });
});
