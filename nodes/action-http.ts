import { z } from "zod";
import { KeelError, TransientError } from "../runtime/errors.ts";
import { defineNode, type NodeContext } from "../runtime/node.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const params = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
    method: z.enum(METHODS).default("POST"),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
    compensate: z
      .object({
        url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
        method: z.enum(METHODS).default("POST"),
        body: z.unknown().optional(),
      })
      .strict()
      .optional()
      .describe("the call that undoes this one when the flow fails and asks for compensation"),
  })
  .strict();

type Params = z.output<typeof params>;

/** Calls an HTTP endpoint with an Idempotency-Key, so a repeated call is recognisable. */
export const actionHttp = defineNode({
  type: "action.http",
  version: 1,
  title: "HTTP request",
  category: "action",
  description: "Calls a URL. Sends an Idempotency-Key header that stays the same across retries and resumes. 5xx, 429 and network errors are retried (by the node's retry policy); other 4xx are not.",
  kind: "action",
  params,
  run: (ctx) => call(ctx, ctx.params),
  async compensate(ctx, _output) {
    const c = ctx.params.compensate;
    if (c) await call(ctx, { ...ctx.params, url: c.url, method: c.method, body: c.body });
  },
});

async function call(ctx: NodeContext<Params>, p: Pick<Params, "url" | "method" | "headers" | "body">) {
  const headers: Record<string, string> = { ...p.headers, "Idempotency-Key": ctx.idempotencyKey };
  let body: string | undefined;
  if (p.body !== undefined && p.method !== "GET" && p.method !== "HEAD") {
    body = typeof p.body === "string" ? p.body : JSON.stringify(p.body);
    if (typeof p.body !== "string" && !hasHeader(headers, "content-type")) headers["Content-Type"] = "application/json";
  }
  let res: Response;
  try {
    res = await fetch(p.url, { method: p.method, headers, body, signal: ctx.signal, redirect: "follow" });
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new TransientError(`${p.method} ${p.url} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`, { cause: e });
  }
  const text = await readCapped(res);
  const parsed = parseBody(text, res.headers.get("content-type"));
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    throw new TransientError(`${p.method} ${p.url} answered ${res.status} ${res.statusText}`, { details: { status: res.status } });
  }
  if (res.status >= 400) {
    throw new KeelError("NODE_FAILED", `${p.method} ${p.url} answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}`, {
      retryable: false,
      details: { status: res.status },
    });
  }
  return { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "" }, body: parsed };
}

async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new KeelError("NODE_FAILED", `response body of ${declared} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_BODY_BYTES) throw new KeelError("NODE_FAILED", `response body of ${buf.length} bytes is over the ${MAX_BODY_BYTES}-byte limit`);
  return buf.toString("utf8");
}

function parseBody(text: string, type: string | null): unknown {
  if (type?.includes("json") && text) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
