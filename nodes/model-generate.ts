import { z } from "zod";
import { defineNode } from "../runtime/node.ts";
import { callInfo, contextText, jsonSchemaParam, modelCallParams, tierParam } from "../runtime/models/node-kit.ts";
import type { ChatMessage } from "../runtime/models/types.ts";

const params = z
  .object({
    prompt: z.string().min(1, "is empty").max(2_000_000).describe("what to write; {{ }} expressions are filled before the call"),
    system: z.string().max(100_000).optional(),
    context: z.unknown().optional().describe("material to write from (e.g. memory items): sent with the prompt"),
    template: z
      .string()
      .max(200_000)
      .optional()
      .describe("a draft with {slot} placeholders filled from the context ({client.name}, {budget|to be agreed}); the local provider fills it, a model follows it"),
    schema: jsonSchemaParam.optional().describe("ask for a JSON answer valid against this JSON Schema (output.value)"),
    confidence: z.boolean().default(false).describe("ask the provider for token probabilities and report a confidence (0..1)"),
    tier: tierParam("mid"),
    ...modelCallParams,
  })
  .strict();

/** Writes text (or a JSON object, with a schema) from a prompt and context. */
export const modelGenerate = defineNode({
  type: "model.generate",
  version: 1,
  title: "Generate",
  category: "model",
  description: "Writes from a prompt and optional context: text, or a JSON object valid against a schema. Confidence when the provider gives one. Without a configured model the local provider fills the template's slots from the context, or drafts from the context's most relevant sentences.",
  kind: "model",
  params,
  async run(ctx) {
    const p = ctx.params;
    const context = contextText(p.context);
    let user = p.prompt;
    if (p.template) user += `\n\nFollow this template, filling each {slot} from the context:\n${p.template}`;
    if (context) user += `\n\nContext:\n${context}`;
    const messages: ChatMessage[] = [...(p.system ? [{ role: "system" as const, content: p.system }] : []), { role: "user", content: user }];
    const r = await ctx.models.chat({
      messages,
      tier: p.tier,
      degrade: p.degrade,
      cache: p.cache,
      maxTokens: p.maxTokens,
      temperature: p.temperature,
      schema: p.schema,
      logprobs: p.confidence || undefined,
      intent: { kind: "draft", prompt: p.prompt, context: p.context, template: p.template },
      signal: ctx.signal,
    });
    return {
      text: r.text,
      ...(p.schema ? { value: r.value } : {}),
      ...(r.confidence === undefined ? {} : { confidence: r.confidence }),
      call: callInfo(r),
    };
  },
});
