import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Chooses a path: edges leave by `when: "true"` or `when: "false"`. */
export const logicBranch = defineNode({
  type: "logic.branch",
  version: 1,
  title: "Branch",
  category: "logic",
  description: "Evaluates a condition; only the edges of the matching port (true or false) carry on, the other side is skipped.",
  kind: "pure",
  params: z.object({ condition: z.unknown().describe("expression, e.g. {{ input.amount > 100 }}") }).strict(),
  ports: ["true", "false"],
  port: (output: { result: boolean }) => String(output.result),
  run: (ctx) => ({ result: truthy(ctx.params.condition) }),
});

/** JSONata's truthiness: empty strings, arrays and objects, 0 and null are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  if (value === "false") return false;
  return Boolean(value);
}
