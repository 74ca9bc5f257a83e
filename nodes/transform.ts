import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Builds an object from values and expressions. */
export const transform = defineNode({
  type: "transform",
  version: 1,
  title: "Transform",
  category: "data",
  description: "Outputs an object whose keys are set to values or {{ expressions }} over the input and earlier nodes.",
  kind: "pure",
  params: z.object({ set: z.record(z.string(), z.unknown()).default({}) }).strict(),
  run: (ctx) => ctx.params.set,
});
