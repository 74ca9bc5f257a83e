import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeelError } from "../runtime/errors.ts";
import { makeContext } from "../runtime/testing.ts";
import { actionHttp } from "./action-http.ts";

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const seen: Seen[] = [];
let server: http.Server;
let url = "";

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    seen.push({ method: req.method!, path: req.url!, headers: req.headers, body });
    const status = Number(/\/status\/(\d+)/.exec(req.url!)?.[1] ?? 200);
    if (req.url === "/hang") return; // never answers
    if (req.url === "/text") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end("plain words");
    }
    res.writeHead(status, { "content-type": "application/json" });
    const json = req.headers["content-type"] === "application/json";
    res.end(JSON.stringify({ got: body ? (json ? JSON.parse(body) : body) : null, status }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const call = (params: Record<string, unknown>, extra: { signal?: AbortSignal } = {}) =>
  actionHttp.run(makeContext({ params: actionHttp.params.parse(params), idempotencyKey: "keel:r1:pay", ...extra }));

async function failure(p: Promise<unknown> | unknown): Promise<KeelError> {
  try {
    await p;
  } catch (e) {
    return e as KeelError;
  }
  throw new Error("expected a failure");
}

describe("action.http", () => {
  it("POSTs JSON with the Idempotency-Key and returns status, content type and parsed body", async () => {
    const out = await call({ url: `${url}/pay`, body: { amount: 5 }, headers: { "x-trace": "t1" } });
    expect(out).toEqual({ status: 200, headers: { "content-type": "application/json" }, body: { got: { amount: 5 }, status: 200 } });
    const req = seen.at(-1)!;
    expect(req.method).toBe("POST");
    expect(req.headers["idempotency-key"]).toBe("keel:r1:pay");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-trace"]).toBe("t1");
  });

  it("sends a string body as is, and no body with GET", async () => {
    await call({ url: `${url}/raw`, body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(seen.at(-1)).toMatchObject({ body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    const out = (await call({ url: `${url}/text`, method: "GET", body: { ignored: true } })) as { body: unknown };
    expect(seen.at(-1)).toMatchObject({ method: "GET", body: "" });
    expect(out.body).toBe("plain words");
  });

  it("makes 5xx, 429 and 408 retryable TRANSIENT failures", async () => {
    for (const status of [500, 503, 429, 408]) {
      const err = await failure(call({ url: `${url}/status/${status}` }));
      expect(err).toMatchObject({ code: "TRANSIENT", retryable: true, details: { status } });
    }
  });

  it("makes other 4xx final NODE_FAILED failures that quote the answer", async () => {
    for (const status of [400, 404, 422]) {
      const err = await failure(call({ url: `${url}/status/${status}` }));
      expect(err).toMatchObject({ code: "NODE_FAILED", retryable: false, details: { status } });
      expect(err.message).toContain(`answered ${status}`);
    }
  });

  it("makes a refused connection a retryable failure", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await failure(call({ url: `http://127.0.0.1:${port}/x` }));
    expect(err).toMatchObject({ code: "TRANSIENT", retryable: true });
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("gives up when its signal aborts, with the abort's reason", async () => {
    const controller = new AbortController();
    const pending = call({ url: `${url}/hang` }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    const err = await failure(pending);
    expect(err.message).toBe("stop now");
  });

  it("compensates by calling the compensate URL with the same key", async () => {
    const params = actionHttp.params.parse({ url: `${url}/book`, compensate: { url: `${url}/unbook`, method: "DELETE", body: { id: 7 } } });
    const ctx = makeContext({ params, idempotencyKey: "keel:r1:book:compensate" });
    await actionHttp.compensate!(ctx, { status: 200, headers: { "content-type": "" }, body: null });
    expect(seen.at(-1)).toMatchObject({ method: "DELETE", path: "/unbook", headers: { "idempotency-key": "keel:r1:book:compensate" } });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ id: 7 });
  });

  it("validates its params: http(s) URLs only, known methods, POST by default", () => {
    expect(actionHttp.params.parse({ url: "https://example.com" })).toMatchObject({ method: "POST", headers: {} });
    expect(actionHttp.params.safeParse({ url: "file:///etc/passwd" }).success).toBe(false);
    expect(actionHttp.params.safeParse({ url: "https://x.test", method: "TRACE" }).success).toBe(false);
    expect(actionHttp.params.safeParse({ url: "https://x.test", extra: 1 }).success).toBe(false);
  });
});
