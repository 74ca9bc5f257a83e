import { z } from "zod";
import { KeelError, TransientError, ValidationError } from "../runtime/errors.ts";
import { defineNode, type NodeContext } from "../runtime/node.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_REDIRECTS = 5;

const params = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }),
    method: z.enum(METHODS).default("POST"),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
    credential: z
      .string()
      .min(1)
      .optional()
      .describe("a credential of kind http-header or basic: its header is added at call time and redacted everywhere"),
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
  description: "Calls a URL. Sends an Idempotency-Key header that stays the same across retries and resumes. 5xx, 429 and network errors are retried (by the node's retry policy); other 4xx are not. With `credential`, its header is added at call time (redirects are then followed only within the same origin).",
  kind: "action",
  params,
  run: (ctx) => call(ctx, ctx.params),
  async compensate(ctx, _output) {
    const c = ctx.params.compensate;
    if (c) await call(ctx, { ...ctx.params, url: c.url, method: c.method, body: c.body });
  },
});

async function call(ctx: NodeContext<Params>, p: Pick<Params, "url" | "method" | "headers" | "body" | "credential">) {
  const headers: Record<string, string> = { ...p.headers, "Idempotency-Key": ctx.idempotencyKey };
  let body: string | undefined;
  if (p.body !== undefined && p.method !== "GET" && p.method !== "HEAD") {
    body = typeof p.body === "string" ? p.body : JSON.stringify(p.body);
    if (typeof p.body !== "string" && !hasHeader(headers, "content-type")) headers["Content-Type"] = "application/json";
  }
  if (p.credential) {
    const [name, value] = await credentialHeader(ctx, p.credential);
    for (const k of Object.keys(headers)) if (k.toLowerCase() === name.toLowerCase()) delete headers[k];
    headers[name] = value;
  }
  const res = await send(ctx, p.method, p.url, headers, body, { sameOriginOnly: Boolean(p.credential) });
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

/** The header a credential adds: http-header (name, value) or basic (username, password). */
async function credentialHeader(ctx: NodeContext<Params>, name: string): Promise<[string, string]> {
  const c = await ctx.credentials.get(name); // checks the flow may use it; registers its secrets for redaction
  if (c.kind === "http-header") {
    if (!c.fields.value) throw new ValidationError(`credential "${name}" (http-header) has no value`);
    return [c.fields.name || "Authorization", c.fields.value];
  }
  if (c.kind === "basic") {
    return ["Authorization", `Basic ${Buffer.from(`${c.fields.username ?? ""}:${c.fields.password ?? ""}`).toString("base64")}`];
  }
  throw new ValidationError(`credential "${name}" is of kind ${c.kind}; action.http takes http-header or basic`);
}

/**
 * One request. With a credential, redirects are followed here and only within the same origin,
 * so a header carrying a secret never reaches another host.
 */
async function send(ctx: NodeContext<Params>, method: string, url: string, headers: Record<string, string>, body: string | undefined, opts: { sameOriginOnly: boolean }): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { method, headers, body, signal: ctx.signal, redirect: opts.sameOriginOnly ? "manual" : "follow" });
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new TransientError(`${method} ${url} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`, { cause: e });
    }
    const location = res.headers.get("location");
    if (!opts.sameOriginOnly || res.status < 300 || res.status > 399 || !location) return res;
    await res.arrayBuffer().catch(() => undefined);
    const next = new URL(location, current);
    if (next.origin !== new URL(current).origin) {
      throw new KeelError("NODE_FAILED", `${method} ${url} redirected to another origin (${next.origin}); the credential is not sent there`, { retryable: false });
    }
    if (hop >= MAX_REDIRECTS) throw new KeelError("NODE_FAILED", `${method} ${url}: more than ${MAX_REDIRECTS} redirects`, { retryable: false });
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
    }
    current = next.href;
  }
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
