/**
 * DNS-rebinding and cross-origin defence: a request is served only when its Host header names
 * an address Keel listens on (or a configured name), and its Origin, when sent, is Keel's own.
 * No CORS headers are ever sent, so no other page can read an answer either.
 */
import os from "node:os";
import type { RequestHandler } from "express";
import { KeelError } from "../../runtime/errors.ts";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** Host header values (`host:port`, lower case) a server listening on host:port answers to. */
export function allowedHostsFor(options: { host: string; port: number; names?: string[] }): Set<string> {
  const { host, port } = options;
  const bare = new Set<string>();
  const h = host.toLowerCase();
  if (isLoopback(h)) LOOPBACK_NAMES.forEach((n) => bare.add(n));
  if (h === "0.0.0.0" || h === "::" || h === "[::]") {
    LOOPBACK_NAMES.forEach((n) => bare.add(n));
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) bare.add(a.family === "IPv6" ? `[${a.address.split("%")[0].toLowerCase()}]` : a.address);
    }
  }
  bare.add(h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);
  const out = new Set<string>();
  for (const b of bare) {
    out.add(`${b}:${port}`);
    if (port === 80) out.add(b);
  }
  for (const name of options.names ?? []) {
    const n = name.trim().toLowerCase();
    if (!n) continue;
    if (/:\d+$/.test(n)) out.add(n);
    else {
      out.add(n); // behind a reverse proxy on its default port
      out.add(`${n}:${port}`);
    }
  }
  return out;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why a request's Host or Origin is refused, or undefined when it may be served. */
export function refusal(headers: { host?: string; origin?: string }, allowed: ReadonlySet<string>): string | undefined {
  const host = headers.host?.toLowerCase();
  if (!host) return "the request has no Host header";
  if (!allowed.has(host)) {
    return `Host ${JSON.stringify(host.slice(0, 100))} is not an address this Keel listens on (start it with --name to allow a name)`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    const u = new URL(origin);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http");
    originHost = (u.port ? u.host : `${u.hostname}:${u.protocol === "https:" ? 443 : 80}`).toLowerCase();
  } catch {
    return `requests from origin ${JSON.stringify(origin.slice(0, 100))} are refused`;
  }
  const sameAsHost = originHost === host || originHost === `${host}:80` || originHost === `${host}:443`;
  if (!sameAsHost && !allowed.has(originHost)) {
    return `requests from origin ${JSON.stringify(origin.slice(0, 100))} are refused (only Keel's own pages may call it)`;
  }
  return undefined;
}

/** Refuses (403) requests with a foreign Host or Origin, before anything else looks at them. */
export function hostAndOriginGuard(allowed: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    const why = refusal({ host: req.headers.host, origin: req.headers.origin }, allowed);
    next(why ? new KeelError("FORBIDDEN", why) : undefined);
  };
}
