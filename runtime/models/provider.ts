/**
 * What a model provider implements, and the one failure type providers throw so that the
 * router decides retry and fallback on a kind, never on message text.
 */
import { KeelError } from "../errors.ts";
import type { ChatIntent, ChatMessage, JsonSchema } from "./types.ts";

/** One chat call to one provider and model. The signal carries the attempt's timeout. */
export interface ProviderChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  schema?: JsonSchema;
  schemaName?: string;
  intent?: ChatIntent;
  signal: AbortSignal;
  onText?: (delta: string) => void;
  logprobs?: boolean;
}

/** A provider's answer; token counts are absent when the provider reports none. */
export interface ProviderChatResponse {
  text: string;
  /** An already structured answer (the local provider), checked against the schema like parsed text. */
  value?: unknown;
  inputTokens?: number;
  outputTokens?: number;
  confidence?: number;
}

/** One embedding call (one batch). */
export interface ProviderEmbedRequest {
  model: string;
  texts: string[];
  signal: AbortSignal;
}

/** Vectors in the order of the texts. */
export interface ProviderEmbedResponse {
  vectors: Float32Array[];
  inputTokens?: number;
}

/** A provider endpoint: the built-in local one, an Ollama host, an OpenAI-compatible base URL. */
export interface ModelProvider {
  /** The name settings give it ("local", "openai", "my-vllm"...): what traces show. */
  readonly name: string;
  readonly type: "local" | "ollama" | "openai";
  chat(request: ProviderChatRequest): Promise<ProviderChatResponse>;
  embed(request: ProviderEmbedRequest): Promise<ProviderEmbedResponse>;
}

/** Why a provider call failed, as far as retry and fallback care. */
export type FailureKind = "rate_limit" | "server" | "timeout" | "connection" | "rejected";

/** A failed provider call. rate_limit, server, timeout and connection are retryable; rejected is not. */
export class ProviderFailure extends KeelError {
  readonly kind: FailureKind;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(provider: string, kind: FailureKind, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    const code = kind === "timeout" ? "TIMEOUT" : kind === "rejected" ? "NODE_FAILED" : "TRANSIENT";
    super(code, `${provider}: ${message}`, {
      retryable: kind !== "rejected",
      cause: options.cause,
      details: { provider, kind, ...(options.status === undefined ? {} : { status: options.status }) },
    });
    this.name = "ProviderFailure";
    this.kind = kind;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The failure for an HTTP status: 429 rate_limit, 408/5xx server, other 4xx rejected. */
export function failureForStatus(provider: string, status: number, message: string, retryAfter?: string | null, cause?: unknown): ProviderFailure {
  const kind: FailureKind = status === 429 ? "rate_limit" : status >= 500 || status === 408 ? "server" : "rejected";
  return new ProviderFailure(provider, kind, `HTTP ${status}: ${message}`, { status, retryAfterMs: parseRetryAfter(retryAfter), cause });
}

/** Retry-After in seconds or as an HTTP date, to milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A fetch failure with no HTTP answer (refused, reset, DNS): a connection failure. */
export function connectionFailure(provider: string, error: unknown): ProviderFailure {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return new ProviderFailure(provider, "connection", `could not connect (${why})`, { cause: error });
}
