/**
 * One error type for all of Keel. Every failure carries a code from a fixed set, and whether
 * retrying could help. Retry decisions read the flag, never the message text.
 */
export const ERROR_CODES = [
  "VALIDATION", // bad input: a flow, a parameter, a request body. Never retried.
  "NOT_FOUND",
  "CONFLICT", // e.g. a second decision on an approval, a run that already exists
  "UNAUTHORIZED",
  "FORBIDDEN", // e.g. a flow not allowed to use a credential
  "TRANSIENT", // a failure that may pass: network, 5xx, 429
  "TIMEOUT",
  "CANCELED",
  "CORRUPT", // stored data failed its checksum or could not be parsed
  "BUDGET", // a flow's cost or token budget would be exceeded
  "SANDBOX", // user code failed inside the sandbox
  "NODE_FAILED", // a node's own error (e.g. an HTTP 4xx)
  "INTERNAL",
] as const;

/** The fixed set of error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options for a KeelError: whether to retry, the cause and structured details. */
export interface KeelErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: unknown;
}

/** The base error: a code, a message, whether a retry could help, and optional details. */
export class KeelError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KeelError";
    this.code = code;
    this.retryable = options.retryable ?? (code === "TRANSIENT" || code === "TIMEOUT");
    this.details = options.details;
  }

  /** The JSON-safe form written to run events and API responses. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** A problem with input: never retried. */
export class ValidationError extends KeelError {
  constructor(message: string, options: Omit<KeelErrorOptions, "retryable"> = {}) {
    super("VALIDATION", message, { ...options, retryable: false });
    this.name = "ValidationError";
  }
}

/** A failure that may pass on its own: retried by policy. */
export class TransientError extends KeelError {
  constructor(message: string, options: Omit<KeelErrorOptions, "retryable"> = {}) {
    super("TRANSIENT", message, { ...options, retryable: true });
    this.name = "TransientError";
  }
}

/** Stored data that failed its checksum or could not be read; names the file and line. */
export class CorruptError extends KeelError {
  constructor(message: string, options: Omit<KeelErrorOptions, "retryable"> = {}) {
    super("CORRUPT", message, { ...options, retryable: false });
    this.name = "CorruptError";
  }
}

/** The error of one node attempt, as stored in the run log. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: unknown;
}

/** Normalises anything thrown into a KeelError. Unknown errors are not retryable. */
export function toKeelError(error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  if (error instanceof Error) {
    if (error.name === "AbortError") return new KeelError("CANCELED", error.message || "aborted", { cause: error });
    return new KeelError("INTERNAL", error.message || error.name, { cause: error, retryable: false });
  }
  return new KeelError("INTERNAL", typeof error === "string" ? error : `non-error thrown: ${safeString(error)}`, {
    retryable: false,
  });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
