import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Joins branches: runs once every input that was not skipped has finished. */
export const logicMerge = defineNode({
  type: "logic.merge",
  version: 1,
  title: "Merge",
  category: "logic",
  description: "Waits for all inputs that were not skipped and outputs them keyed by node id.",
  kind: "pure",
  params: z.object({}).strict(),
  run: (ctx) => ({ inputs: ctx.input }),
});
