/**
 * The response cache contract: identical requests (provider, endpoint, model, messages and
 * parameters) are answered from it. The persisted implementation lives in storage/models.
 */
import { createHash } from "node:crypto";
import type { ChatMessage, JsonSchema } from "./types.ts";

/** A cached answer, with what it cost the first time. */
export interface CachedResponse {
  text: string;
  value?: unknown;
  confidence?: number;
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
  costUsd: number;
  /** Epoch ms when it was stored. */
  createdAt: number;
}

/** Where answers are kept between calls (and processes). */
export interface ResponseCache {
  get(key: string): Promise<CachedResponse | undefined>;
  set(key: string, value: CachedResponse): Promise<void>;
}

/** What makes two requests the same. */
export interface CacheKeyParts {
  provider: string;
  /** Where the provider is (base URL or host): the same model name elsewhere may differ. */
  endpoint: string;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  schema?: JsonSchema;
  logprobs?: boolean;
}

/** A hex sha-256 over the parts, with object keys sorted so key order does not matter. */
export function cacheKey(parts: CacheKeyParts): string {
  return createHash("sha256").update(stableJson({ v: 1, ...parts })).digest("hex");
}

function stableJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

/** An in-memory cache (tests, and processes without a data folder). */
export class MemoryResponseCache implements ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();

  async get(key: string): Promise<CachedResponse | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    this.entries.set(key, value);
  }
}
