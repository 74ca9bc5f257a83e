import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Starts a flow by hand (CLI, API, editor): its output is the run input. */
export const triggerManual = defineNode({
  type: "trigger.manual",
  version: 1,
  title: "Manual trigger",
  category: "trigger",
  description: "Starts the flow with the input given to `keel run`, the API or the editor's Run button.",
  kind: "pure",
  params: z.object({}).strict(),
  run: (ctx) => ctx.run.input,
});
