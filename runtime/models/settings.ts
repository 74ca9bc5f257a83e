/**
 * Model settings (the `models` section of `<data>/settings.json`), validated with zod.
 * Out of the box every tier maps to the built-in `local` provider, so Keel runs with no key
 * and no model server.
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { LOCAL_EMBEDDING_MODEL } from "./local/embedding.ts";
import { TIERS } from "./types.ts";

/** The built-in provider's name: always present, never configured. */
export const LOCAL_PROVIDER = "local";
/** The model name the local provider answers chats as. */
export const LOCAL_CHAT_MODEL = "extractive-v1";

const NAME = /^[a-z][a-z0-9_-]{0,39}$/;
const timeoutMs = z.number().int().min(100).max(600_000);

/** One entry of a tier's fallback list. */
const ModelRefSchema = z.object({ provider: z.string().min(1), model: z.string().min(1).max(200) }).strict();

/** Where an API key comes from: a vault credential (field `apiKey` by default) or an env var. */
const ApiKeySchema = z
  .object({
    credential: z.string().min(1).optional(),
    field: z.string().min(1).default("apiKey"),
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional(),
  })
  .strict()
  .refine((k) => k.credential || k.env, "names a credential or an env variable");

const OpenAIProviderSchema = z
  .object({
    type: z.literal("openai"),
    baseURL: z.url({ protocol: /^https?$/ }).default("https://api.openai.com/v1"),
    apiKey: ApiKeySchema.optional(),
    timeoutMs: timeoutMs.optional(),
    /** Stream answers (server-sent events) even when the node does not ask to. */
    stream: z.boolean().default(false),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const OllamaProviderSchema = z
  .object({
    type: z.literal("ollama"),
    host: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:11434"),
    timeoutMs: timeoutMs.optional(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** A configured provider endpoint. */
export const ProviderSettingsSchema = z.discriminatedUnion("type", [OpenAIProviderSchema, OllamaProviderSchema]);

/** USD per million tokens. */
const PriceSchema = z.object({ inputPerMTok: z.number().min(0), outputPerMTok: z.number().min(0) }).strict();

const LOCAL_REF = { provider: LOCAL_PROVIDER, model: LOCAL_CHAT_MODEL };
const tierList = z.array(ModelRefSchema).min(1, "needs at least one { provider, model }").max(10);

/** The `models` section of settings.json. */
export const ModelSettingsSchema = z
  .object({
    providers: z.record(z.string().regex(NAME, "provider names are lower-case letters, digits, _ and -"), ProviderSettingsSchema).default({}),
    tiers: z
      .object({ small: tierList.default([LOCAL_REF]), mid: tierList.default([LOCAL_REF]), large: tierList.default([LOCAL_REF]) })
      .strict()
      .default({ small: [LOCAL_REF], mid: [LOCAL_REF], large: [LOCAL_REF] }),
    /** One embedding model (no fallback: vectors of different models do not mix). */
    embedding: ModelRefSchema.extend({ batchSize: z.number().int().min(1).max(2048).default(64) })
      .strict()
      .default({ provider: LOCAL_PROVIDER, model: LOCAL_EMBEDDING_MODEL, batchSize: 64 }),
    /** Keyed "provider/model" (or just "model"): USD per million input and output tokens. */
    prices: z.record(z.string(), PriceSchema).default({}),
    cache: z.object({ enabled: z.boolean().default(true), ttlDays: z.number().min(0).max(3650).default(30) }).strict().default({ enabled: true, ttlDays: 30 }),
    /** A 429 is retried on the same provider this many times (waiting Retry-After, capped) before the next. */
    rateLimit: z
      .object({ retries: z.number().int().min(0).max(10).default(2), maxDelayMs: z.number().int().min(0).max(60_000).default(2000) })
      .strict()
      .default({ retries: 2, maxDelayMs: 2000 }),
    /** Per attempt, unless the provider sets its own. */
    timeoutMs: timeoutMs.default(60_000),
    /** Output tokens assumed for a call without maxTokens when checking a budget. */
    budgetOutputTokens: z.number().int().min(1).default(1024),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (LOCAL_PROVIDER in s.providers) ctx.addIssue({ code: "custom", path: ["providers", LOCAL_PROVIDER], message: `"${LOCAL_PROVIDER}" is built in and cannot be configured` });
    const known = (name: string) => name === LOCAL_PROVIDER || name in s.providers;
    for (const tier of TIERS) {
      s.tiers[tier].forEach((ref, i) => {
        if (!known(ref.provider)) ctx.addIssue({ code: "custom", path: ["tiers", tier, i, "provider"], message: unknownProvider(ref.provider, s.providers) });
      });
    }
    if (!known(s.embedding.provider)) ctx.addIssue({ code: "custom", path: ["embedding", "provider"], message: unknownProvider(s.embedding.provider, s.providers) });
  });

/** Validated model settings. */
export type ModelSettings = z.output<typeof ModelSettingsSchema>;
/** Model settings as written in settings.json. */
export type ModelSettingsInput = z.input<typeof ModelSettingsSchema>;
/** A configured provider endpoint. */
export type ProviderSettings = z.output<typeof ProviderSettingsSchema>;
/** A price: USD per million input and output tokens. */
export type Price = z.output<typeof PriceSchema>;

function unknownProvider(name: string, providers: Record<string, unknown>): string {
  const names = [LOCAL_PROVIDER, ...Object.keys(providers)].map((n) => `"${n}"`).join(", ");
  return `unknown provider "${name}" (known: ${names})`;
}

/** The defaults: every tier answered by `local`. */
export function defaultModelSettings(): ModelSettings {
  return ModelSettingsSchema.parse({});
}

/** Validates a `models` section; errors name the place (`where` is e.g. the file name). */
export function parseModelSettings(value: unknown, where = "settings"): ModelSettings {
  const r = ModelSettingsSchema.safeParse(value ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  - ${where}: models${i.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("")}: ${i.message}`);
  throw new ValidationError(`model settings are invalid:\n${lines.join("\n")}`, { details: { issues: r.error.issues } });
}

/** The price of a model, looked up as "provider/model", then "model"; undefined when unknown. */
export function priceOf(settings: ModelSettings, provider: string, model: string): Price | undefined {
  return settings.prices[`${provider}/${model}`] ?? settings.prices[model];
}

/** The cost of a call in USD (0 for local or unpriced models). */
export function costOf(price: Price | undefined, inputTokens: number, outputTokens: number): number {
  if (!price) return 0;
  return Math.round(((inputTokens * price.inputPerMTok + outputTokens * price.outputPerMTok) / 1e6) * 1e8) / 1e8;
}
