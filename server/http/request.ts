/** Reading what a client sent: JSON bodies and query parameters, with 400s that say what is wrong. */
import type { Request } from "express";
import { ValidationError } from "../../runtime/errors.ts";

/** The parsed JSON body; a 400 when there is none or it is not JSON. */
export function jsonBody(req: Request, options: { optional?: boolean } = {}): unknown {
  if (req.body !== undefined) return req.body;
  const length = Number(req.headers["content-length"] ?? 0);
  const hasBody = length > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody && options.optional) return undefined;
  if (hasBody) throw new ValidationError("the request body must be JSON (Content-Type: application/json)");
  throw new ValidationError(`${req.method} ${req.baseUrl}${req.path} needs a JSON body`);
}

/** The JSON body, which must be an object. */
export function objectBody(req: Request, options: { optional?: boolean } = {}): Record<string, unknown> | undefined {
  const body = jsonBody(req, options);
  if (body === undefined) return undefined;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError(`the request body must be a JSON object, got ${Array.isArray(body) ? "an array" : body === null ? "null" : `a ${typeof body}`}`);
  }
  return body as Record<string, unknown>;
}

/** One query parameter as a string (a 400 when it is repeated). */
export function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new ValidationError(`query parameter ${name} must be given once`);
  return v;
}

/** Deepest nesting of arrays and objects accepted in a JSON body (deeper ones are a 400). */
export const MAX_JSON_DEPTH = 100;

/**
 * For express.json's `verify`: refuses bodies nested deeper than MAX_JSON_DEPTH before they are
 * parsed, so that no recursive walk over a body (validation, expressions) can exhaust the stack.
 */
export function refuseDeepJson(_req: unknown, _res: unknown, buf: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw Object.assign(new Error(`the request body is nested more than ${MAX_JSON_DEPTH} levels deep`), { status: 400, type: "entity.too.deep" });
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}
