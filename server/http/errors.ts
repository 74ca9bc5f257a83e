/**
 * One place maps error codes to HTTP statuses; every error leaves the server as
 * `{ error: { code, message, details? } }`. Internal failures are logged, never shown in detail.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { KeelError, toKeelError, type ErrorCode } from "../../runtime/errors.ts";

/** The HTTP status each error code is answered with. */
export const STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  BUDGET: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  CANCELED: 409,
  SANDBOX: 422,
  NODE_FAILED: 502,
  TRANSIENT: 503,
  TIMEOUT: 504,
  CORRUPT: 500,
  INTERNAL: 500,
};

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Unknown routes: a JSON 404 naming what was asked. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new KeelError("NOT_FOUND", `no route ${req.method} ${pathOf(req.originalUrl)}`));
};

/** Errors raised by body-parser and friends carry an HTTP status and a `type`. */
interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** The error handler: maps every error to a status and a JSON body. */
export function errorHandler(options: { log?: (line: string) => void } = {}): ErrorRequestHandler {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return (err, req, res, next) => {
    if (res.headersSent) return next(err); // express closes the connection
    const { status, body } = toResponse(err);
    if (status >= 500) {
      log(`keel: ${req.method} ${pathOf(req.originalUrl)} failed: ${(err as Error)?.stack ?? String(err)}`);
    }
    res.status(status).json(body);
  };
}

/** Turns anything thrown into a status and an error body. */
export function toResponse(err: unknown): { status: number; body: ErrorBody } {
  const httpish = err as HttpishError;
  const httpStatus = httpish?.status ?? httpish?.statusCode;
  if (!(err instanceof KeelError) && typeof httpStatus === "number" && httpStatus >= 400 && httpStatus < 500) {
    // a request the body parser (or express) refused: too large, not JSON, bad charset...
    return { status: httpStatus, body: { error: { code: "VALIDATION", message: bodyParserMessage(httpish) } } };
  }
  const k = toKeelError(err);
  const status = STATUS_OF[k.code] ?? 500;
  if (k.code === "INTERNAL") {
    return { status, body: { error: { code: k.code, message: "internal error (the server log has the details)" } } };
  }
  return { status, body: { error: { code: k.code, message: k.message, ...(k.details === undefined ? {} : { details: k.details }) } } };
}

function bodyParserMessage(e: HttpishError): string {
  switch (e.type) {
    case "entity.parse.failed":
      return `the request body is not valid JSON: ${e.message}`;
    case "entity.too.large":
      return `the request body is too large: ${e.message}`;
    default:
      return e.expose === false ? "bad request" : (e.message ?? "bad request");
  }
}

/** The path of a URL without its query (queries may hold things that do not belong in logs). */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return (q < 0 ? url : url.slice(0, q)).slice(0, 200);
}
