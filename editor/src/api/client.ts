/**
 * The one door to Keel's HTTP API: adds the access token the page was served with and turns
 * `{ error: { code, message, details } }` bodies into ApiError.
 */
import type { ErrorCode, FlowIssue } from "./types.ts";

/** An error answer from the API (or a network failure, code "TRANSIENT"). */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, status: number, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
  /** The flow problems a 400 names, when it names any. */
  get issues(): FlowIssue[] {
    const issues = (this.details as { issues?: unknown } | undefined)?.issues;
    return Array.isArray(issues) ? (issues as FlowIssue[]) : [];
  }
}

/** The token injected by the server into the page (same origin only). */
export function pageToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="keel-token"]')?.content ?? "";
}

/** Calls the API; resolves with the parsed JSON body (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/${path.replace(/^\//, "")}`, {
      method,
      headers: {
        authorization: `Bearer ${pageToken()}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: init.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError("TRANSIENT", "Keel cannot be reached: is the server running?", 0);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: ErrorCode; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(err?.code ?? "INTERNAL", err?.message ?? `${method} /api/${path} failed with HTTP ${res.status}`, res.status, err?.details);
  }
  return json as T;
}

/** A short, human message for anything thrown by an API call. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
