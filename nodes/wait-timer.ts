import { z } from "zod";
import { defineNode, suspend } from "../runtime/node.ts";

/** A durable pause: the deadline is recorded, so after a restart it waits only for what remains. */
export const waitTimer = defineNode({
  type: "wait.timer",
  version: 1,
  title: "Wait",
  category: "logic",
  description: "Pauses this path of the flow for a while. Survives restarts: only the time left is waited.",
  kind: "wait",
  params: z.object({ ms: z.number().int().min(0).max(31 * 86_400_000) }).strict(),
  run(ctx) {
    if (ctx.wake || ctx.params.ms === 0) return { waitedMs: ctx.params.ms };
    return suspend({ kind: "timer", until: Date.now() + ctx.params.ms });
  },
});
