import { z } from "zod";
import { RetryPolicySchema } from "../retry.ts";

/** The current flow document version. */
export const FLOW_SCHEMA = "keel/flow@1";

// "__proto__" would name an object's prototype, not a key, wherever ids index plain objects
const ID = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const idMessage = "must start with a letter or _ and hold only letters, digits, _ and - (at most 64); __proto__ is reserved";

/** A node in a flow: its type, params (may hold `{{ }}` expressions) and run policy. */
export const FlowNodeSchema = z
  .object({
    id: z.string().regex(ID, idMessage),
    type: z.string().min(1, "is required"),
    name: z.string().max(200).optional(),
    position: z.object({ x: z.number().finite(), y: z.number().finite() }).strict().default({ x: 0, y: 0 }),
    params: z.record(z.string(), z.unknown()).default({}),
    retry: RetryPolicySchema.optional(),
    timeoutMs: z.number().int().min(1).max(7 * 86_400_000).optional(),
    onError: z.enum(["fail", "continue"]).default("fail"),
  })
  .strict();

/** An edge; `when` picks a port of the source (`true`/`false` for a branch, ...). */
export const FlowEdgeSchema = z
  .object({
    id: z.string().min(1).max(128),
    from: z.string().min(1),
    to: z.string().min(1),
    when: z.string().min(1).max(64).optional(),
  })
  .strict();

/** Template metadata: a flow plus what a gallery needs. */
export const TemplateInfoSchema = z
  .object({
    title: z.string().min(1),
    summary: z.string(),
    tags: z.array(z.string()).default([]),
    credentials: z.array(z.string()).default([]),
  })
  .strict();

/** A flow's spending limits for model calls. */
export const BudgetSchema = z
  .object({
    maxCostUsd: z.number().min(0).optional(),
    maxTokens: z.number().int().min(0).optional(),
  })
  .strict();

/** The flow document: the shareable unit. */
export const FlowSchema = z
  .object({
    schema: z.literal(FLOW_SCHEMA, { error: `must be "${FLOW_SCHEMA}"` }),
    id: z.string().regex(ID, idMessage),
    name: z.string().min(1, "is required").max(200),
    description: z.string().max(10_000).optional(),
    input: z.record(z.string(), z.unknown()).optional(),
    nodes: z.array(FlowNodeSchema).max(5000),
    edges: z.array(FlowEdgeSchema).max(20000).default([]),
    onFailure: z.enum(["fail", "compensate"]).default("fail"),
    concurrency: z.number().int().min(1).max(64).optional(),
    budget: BudgetSchema.optional(),
    template: TemplateInfoSchema.optional(),
  })
  .strict();

/** A validated flow document. */
export type Flow = z.output<typeof FlowSchema>;
/** A flow as written (defaults not yet applied). */
export type FlowInput = z.input<typeof FlowSchema>;
/** A validated node of a flow. */
export type FlowNode = z.output<typeof FlowNodeSchema>;
/** A validated edge of a flow. */
export type FlowEdge = z.output<typeof FlowEdgeSchema>;

/** JSON Schema of the flow document, generated from the same zod schema. */
export function flowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(FlowSchema, { io: "input" }) as Record<string, unknown>;
}
