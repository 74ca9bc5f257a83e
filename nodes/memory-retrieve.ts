import { z } from "zod";
import { MEMORY_TIERS, type MemoryHit } from "../runtime/memory.ts";
import { defineNode } from "../runtime/node.ts";

const params = z
  .object({
    query: z.string().trim().min(1, "is empty: nothing to search for").max(10_000),
    k: z.number().int().min(1).max(50).default(5).describe("how many memories to return"),
    collection: z.string().min(1).optional().describe("search one collection only (default: all)"),
    tier: z.enum(MEMORY_TIERS).optional().describe("working (recent facts) or long (documents, canonical records); default both"),
    filters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe("metadata that must match, e.g. { \"client\": \"harbor\" }"),
    mode: z.enum(["hybrid", "vector", "text"]).default("hybrid").describe("hybrid fuses meaning (vectors) and words (full text)"),
  })
  .strict();

/** One retrieved memory, ready to quote. */
export interface RetrievedItem {
  id: string;
  text: string;
  score: number;
  similarity?: number;
  citation: string;
  collection: string;
  tier: string;
  source: MemoryHit["source"];
  metadata: MemoryHit["metadata"];
}

/** Finds the memories closest to a query, with citations. */
export const memoryRetrieve = defineNode({
  type: "memory.retrieve",
  version: 1,
  title: "Retrieve from memory",
  category: "memory",
  description:
    "Searches memory (documents and remembered facts) by meaning and by words, fused by rank, and returns the best k items with their source for citing. output.context numbers them ([1] …) for a prompt.",
  // embeds the query through the models door (the configured embedding model, traced and billed)
  kind: "model",
  params,
  async run(ctx) {
    const p = ctx.params;
    const hits = await ctx.memory.search(p.query, {
      k: p.k,
      mode: p.mode,
      signal: ctx.signal,
      ...(p.collection ? { collection: p.collection } : {}),
      ...(p.tier ? { tier: p.tier } : {}),
      ...(p.filters ? { metadata: p.filters } : {}),
    });
    const items: RetrievedItem[] = hits.map((h) => ({
      id: h.id,
      text: h.text,
      score: h.score,
      ...(h.similarity === undefined ? {} : { similarity: h.similarity }),
      citation: h.citation,
      collection: h.collection,
      tier: h.tier,
      source: h.source,
      metadata: h.metadata,
    }));
    const context = items.map((item, i) => `[${i + 1}] ${item.text}\n(source: ${item.citation})`).join("\n\n");
    return { query: p.query, items, context };
  },
});
