import { z } from "zod";
import { callInfo, tierParam } from "../runtime/models/node-kit.ts";
import type { ModelsDoor, Tier } from "../runtime/models/types.ts";
import { defineNode } from "../runtime/node.ts";
import { forgetInserted, rememberAll, writeParams } from "./memory-remember.ts";

const message = z.object({ role: z.string().max(40).optional(), name: z.string().max(100).optional(), content: z.string().max(200_000) });

const params = z
  .object({
    text: z.string().max(2_000_000).optional().describe("a long text to condense"),
    conversation: z.array(message).max(2_000).optional().describe("or a conversation: [{ name?, role?, content }]"),
    maxFacts: z.number().int().min(1).max(50).default(8),
    modelTier: tierParam("small"),
    remember: z.boolean().default(true).describe("write the facts to memory (false: only return them)"),
    ...writeParams,
  })
  .strict()
  .refine((p) => (p.text ?? "").trim() !== "" || (p.conversation ?? []).some((m) => m.content.trim() !== ""), { message: "give text or conversation (nothing to condense)", path: ["text"] });

const FACTS_SCHEMA = (maxFacts: number) => ({
  type: "object",
  properties: { facts: { type: "array", items: { type: "string" }, maxItems: maxFacts } },
  required: ["facts"],
});

/**
 * Turns a text into short standalone facts through the model interface: the local provider
 * ranks and cleans sentences; a configured model rewrites them so each stands on its own.
 */
export async function condenseToFacts(models: ModelsDoor, text: string, opts: { maxFacts: number; tier: Tier; signal?: AbortSignal }) {
  const r = await models.chat({
    messages: [
      {
        role: "system",
        content:
          `List at most ${opts.maxFacts} short facts worth remembering from the user's text. Each fact is one sentence that makes sense on its own: ` +
          `name people, companies and things instead of using pronouns; keep dates, amounts and preferences exact; leave out greetings, questions and small talk. ` +
          `Answer with JSON: {"facts": ["…"]}.`,
      },
      { role: "user", content: text },
    ],
    schema: FACTS_SCHEMA(opts.maxFacts),
    schemaName: "facts",
    tier: opts.tier,
    temperature: 0,
    intent: { kind: "facts", text, maxFacts: opts.maxFacts },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const value = r.value as { facts?: unknown } | undefined;
  const facts = (Array.isArray(value?.facts) ? value.facts : r.text.split("\n"))
    .map((f) => String(f).replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "").trim())
    .filter(Boolean);
  return { facts: [...new Set(facts)].slice(0, opts.maxFacts), call: callInfo(r) };
}

/** Condenses a text or conversation into facts and remembers those, not the transcript. */
export const memoryCondense = defineNode({
  type: "memory.condense",
  version: 1,
  title: "Condense into memory",
  category: "memory",
  description:
    "Turns a long text or a conversation into a few short, standalone facts (through the model tier `modelTier`) and remembers each of them (near-duplicates update what is stored). Output: the facts and what was written.",
  kind: "action",
  params,
  async run(ctx) {
    const p = ctx.params;
    const text = [p.text ?? "", ...(p.conversation ?? []).map((m) => (m.name || m.role ? `${m.name ?? m.role}: ${m.content}` : m.content))]
      .filter((t) => t.trim())
      .join("\n");
    const { facts, call } = await condenseToFacts(ctx.models, text, { maxFacts: p.maxFacts, tier: p.modelTier, signal: ctx.signal });
    const written = p.remember && facts.length ? await rememberAll(ctx, facts, p) : { items: [], inserted: 0, updated: 0, skipped: 0 };
    return { facts, ...written, call };
  },
  compensate: (ctx, output) => forgetInserted(ctx, output),
});
