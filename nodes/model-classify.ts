import { z } from "zod";
import { ValidationError } from "../runtime/errors.ts";
import { defineNode } from "../runtime/node.ts";
import { callInfo, modelCallParams, tierParam } from "../runtime/models/node-kit.ts";
import type { LabelSpec } from "../runtime/models/types.ts";

const label = z.union([
  z.string().min(1).max(200),
  z.object({ label: z.string().min(1).max(200), description: z.string().max(2000).optional(), keywords: z.array(z.string().min(1)).max(200).optional() }).strict(),
]);

const params = z
  .object({
    text: z.string().min(1, "is empty: nothing to classify").max(2_000_000),
    labels: z
      .array(label)
      .min(2, "needs at least two labels")
      .max(100)
      .refine((ls) => new Set(ls.map((l) => (typeof l === "string" ? l : l.label))).size === ls.length, "has a label twice"),
    tier: tierParam("small"),
    ...modelCallParams,
  })
  .strict();

/** Picks one label for a text, with a confidence. */
export const modelClassify = defineNode({
  type: "model.classify",
  version: 1,
  title: "Classify",
  category: "model",
  description: "Picks the label that fits a text best, with a confidence (0..1). Labels are names, or { label, description, keywords }. The local provider scores labels by the words that speak for them.",
  kind: "model",
  params,
  async run(ctx) {
    const p = ctx.params;
    const labels: LabelSpec[] = p.labels.map((l) => (typeof l === "string" ? { label: l } : l));
    const names = labels.map((l) => l.label);
    const listing = labels.map((l) => `- ${l.label}${l.description ? `: ${l.description}` : ""}${l.keywords?.length ? ` (e.g. ${l.keywords.join(", ")})` : ""}`).join("\n");
    const r = await ctx.models.chat({
      messages: [
        { role: "system", content: `Classify the user's text into exactly one of these labels:\n${listing}\nAnswer with JSON: {"label": one of the labels, "confidence": how sure you are, from 0 to 1}.` },
        { role: "user", content: p.text },
      ],
      schema: {
        type: "object",
        properties: { label: { type: "string", enum: names }, confidence: { type: "number", minimum: 0, maximum: 1 } },
        required: ["label"],
      },
      schemaName: "classification",
      tier: p.tier,
      degrade: p.degrade,
      cache: p.cache,
      maxTokens: p.maxTokens,
      temperature: p.temperature ?? 0,
      intent: { kind: "classify", text: p.text, labels },
      signal: ctx.signal,
    });
    const value = r.value as { label: string; confidence?: number };
    if (!names.includes(value.label)) throw new ValidationError(`the model answered label "${value.label}", which is not one of ${names.join(", ")}`);
    const confidence = value.confidence ?? r.confidence;
    return { label: value.label, ...(confidence === undefined ? {} : { confidence }), call: callInfo(r) };
  },
});
