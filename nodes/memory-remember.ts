import { z } from "zod";
import { MEMORY_TIERS, type RememberResult } from "../runtime/memory.ts";
import { defineNode, type NodeContext } from "../runtime/node.ts";

/** Params shared by the nodes that write memories. */
export const writeParams = {
  collection: z.string().trim().min(1).max(200).default("default"),
  tier: z.enum(MEMORY_TIERS).default("working").describe("working memories expire (ttlDays); long ones stay"),
  metadata: z.record(z.string(), z.unknown()).optional().describe("stored with each memory; retrieve can filter on its top-level values"),
  ttlDays: z.number().positive().max(36_500).optional().describe("working memories: days until they expire (default 30)"),
  duplicateThreshold: z.number().min(0.5).max(1).optional().describe("cosine at or above which an existing memory is updated instead of adding a new one (default 0.9)"),
};

const params = z
  .object({
    text: z.string().trim().min(1).max(100_000).optional().describe("one fact or note to remember"),
    facts: z.array(z.string().trim().min(1).max(100_000)).max(500).optional().describe("several facts, each remembered on its own"),
    ...writeParams,
  })
  .strict()
  .refine((p) => p.text !== undefined || (p.facts !== undefined && p.facts.length > 0), { message: "give text or facts (nothing to remember)", path: ["text"] });

/** What a memory write did, per fact. */
export interface RememberedItem extends RememberResult {
  text: string;
}

/** Remembers texts one by one (each near-duplicate updates instead of piling up); counts by action. */
export async function rememberAll(
  ctx: NodeContext<unknown>,
  texts: string[],
  opts: { collection: string; tier: "working" | "long"; metadata?: Record<string, unknown>; ttlDays?: number; duplicateThreshold?: number },
) {
  const items: RememberedItem[] = [];
  for (const text of texts) {
    const result = await ctx.memory.remember({
      text,
      collection: opts.collection,
      tier: opts.tier,
      signal: ctx.signal,
      ...(opts.metadata ? { metadata: opts.metadata as Record<string, never> } : {}),
      ...(opts.ttlDays === undefined ? {} : { ttlDays: opts.ttlDays }),
      ...(opts.duplicateThreshold === undefined ? {} : { duplicateThreshold: opts.duplicateThreshold }),
    });
    items.push({ ...result, text });
  }
  const count = (action: RememberResult["action"]) => items.filter((i) => i.action === action).length;
  return { items, inserted: count("inserted"), updated: count("updated"), skipped: count("skipped") };
}

/** Forgets the memories a node inserted (saga compensation); updated ones keep their newer text. */
export async function forgetInserted(ctx: NodeContext<unknown>, output: { items: RememberedItem[] }): Promise<void> {
  for (const item of output.items) if (item.action === "inserted") await ctx.memory.forget(item.id);
}

/** Writes facts to memory; a near-duplicate of a stored memory updates it instead. */
export const memoryRemember = defineNode({
  type: "memory.remember",
  version: 1,
  title: "Remember",
  category: "memory",
  description:
    "Writes a text (or each of several facts) to memory, citing this run and node. A fact that nearly repeats a stored one (cosine ≥ duplicateThreshold) updates it instead of adding a copy. Working memories expire after ttlDays unless promoted. Compensation forgets what this node added.",
  // a durable write other runs will read: written once per idempotency key and undone by compensation
  kind: "action",
  params,
  async run(ctx) {
    const p = ctx.params;
    const texts = [...(p.text === undefined ? [] : [p.text]), ...(p.facts ?? [])];
    return rememberAll(ctx, texts, p);
  },
  compensate: (ctx, output) => forgetInserted(ctx, output),
});
