import { z } from "zod";
import { defineNode } from "../runtime/node.ts";
import { callInfo, modelCallParams, tierParam } from "../runtime/models/node-kit.ts";

const params = z
  .object({
    text: z.string().min(1, "is empty: nothing to summarize").max(2_000_000),
    maxSentences: z.number().int().min(1).max(50).default(3),
    tier: tierParam("small"),
    ...modelCallParams,
  })
  .strict();

/** Summarizes a text in a few sentences through the model tier asked for. */
export const modelSummarize = defineNode({
  type: "model.summarize",
  version: 1,
  title: "Summarize",
  category: "model",
  description: "Summarizes a text in at most maxSentences sentences. The built-in local provider picks the most central sentences; a configured model writes the summary.",
  kind: "model",
  params,
  async run(ctx) {
    const p = ctx.params;
    const r = await ctx.models.chat({
      messages: [
        { role: "system", content: `Summarize the user's text faithfully in at most ${p.maxSentences} sentence${p.maxSentences === 1 ? "" : "s"}. Answer with the summary only.` },
        { role: "user", content: p.text },
      ],
      tier: p.tier,
      degrade: p.degrade,
      cache: p.cache,
      maxTokens: p.maxTokens,
      temperature: p.temperature,
      intent: { kind: "summarize", text: p.text, maxSentences: p.maxSentences },
      signal: ctx.signal,
    });
    return { summary: r.text.trim(), call: callInfo(r) };
  },
});
