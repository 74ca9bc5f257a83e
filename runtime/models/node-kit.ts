/** Params and output pieces shared by the model.* node types. */
import { z } from "zod";
import { isUsableSchema } from "./structured.ts";
import { TIERS, type ChatResult, type JsonSchema } from "./types.ts";

/** A tier param with its default. */
export function tierParam(fallback: (typeof TIERS)[number]) {
  return z.enum(TIERS).default(fallback).describe("model tier: small (cheap, fast), mid, large (best); settings map each to providers");
}

/** Params every model node has beside its own. */
export const modelCallParams = {
  degrade: z.boolean().default(true).describe("when every provider of the tier fails or the budget forbids it, let a smaller tier answer"),
  cache: z.boolean().default(true).describe("answer an identical earlier request from the cache (no cost)"),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
};

/** A JSON Schema param: an object that compiles as a schema. */
export const jsonSchemaParam = z
  .record(z.string(), z.unknown())
  .refine((s) => isUsableSchema(s), "must be a JSON Schema (e.g. { \"type\": \"object\", \"properties\": { ... } })")
  .transform((s) => s as JsonSchema);

/** Who answered a model node and what it cost: part of each model node's output. */
export interface CallInfo {
  provider: string;
  model: string;
  tier?: string;
  degradedFrom?: string;
  cached: boolean;
  costUsd: number;
}

/** The call info of a chat result. */
export function callInfo(r: ChatResult): CallInfo {
  return {
    provider: r.provider,
    model: r.model,
    ...(r.tier ? { tier: r.tier } : {}),
    ...(r.degradedFrom ? { degradedFrom: r.degradedFrom } : {}),
    cached: r.cached,
    costUsd: r.costUsd,
  };
}

/** Context for a prompt, as text a model can read. */
export function contextText(context: unknown): string {
  if (context === undefined || context === null || context === "") return "";
  return typeof context === "string" ? context : JSON.stringify(context, null, 2);
}
