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
