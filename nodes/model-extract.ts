import { z } from "zod";
import { defineNode } from "../runtime/node.ts";
import { callInfo, jsonSchemaParam, modelCallParams, tierParam } from "../runtime/models/node-kit.ts";

const params = z
  .object({
    text: z.string().min(1, "is empty: nothing to extract from").max(2_000_000),
    schema: jsonSchemaParam.describe("the JSON Schema of what to extract; output.value is valid against it"),
    instructions: z.string().max(20_000).optional(),
    tier: tierParam("small"),
    ...modelCallParams,
  })
  .strict();

/** Extracts a JSON object shaped by a schema from a text. */
export const modelExtract = defineNode({
  type: "model.extract",
  version: 1,
  title: "Extract",
  category: "model",
  description: "Extracts structured data from a text as a JSON object valid against a JSON Schema (output.value). The local provider finds labelled values, emails, URLs, phones, dates, amounts and enum values by pattern.",
  kind: "model",
  params,
  async run(ctx) {
    const p = ctx.params;
    const r = await ctx.models.chat({
      messages: [
        {
          role: "system",
          content: `Extract data from the user's text. Answer with only a JSON value valid against this JSON Schema:\n${JSON.stringify(p.schema)}\nLeave out what the text does not say.${p.instructions ? `\n${p.instructions}` : ""}`,
        },
        { role: "user", content: p.text },
      ],
      schema: p.schema,
      schemaName: "extraction",
      tier: p.tier,
      degrade: p.degrade,
      cache: p.cache,
      maxTokens: p.maxTokens,
      temperature: p.temperature ?? 0,
      intent: { kind: "extract", text: p.text },
      signal: ctx.signal,
    });
    return { value: r.value, call: callInfo(r) };
  },
});
