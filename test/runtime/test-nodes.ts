/** Node types that exist only for engine tests: they fail, hang and record on demand. */
import { z } from "zod";
import { createRegistry } from "../../nodes/index.ts";
import { KeelError } from "../../runtime/errors.ts";
import { defineNode } from "../../runtime/node.ts";
import type { NodeRegistry } from "../../runtime/registry.ts";

/** One call of a test node: which run and node, which attempt, and when (Date.now, fake or real). */
export interface Call {
  runId: string;
  nodeId: string;
  attempt: number;
  at: number;
}

/** Every call made to a test node, in order. Tests filter by run id. */
export const calls: Call[] = [];

/** Fails its first `failures` attempts (retryable or not), then outputs `{ attempt }`. */
export const flaky = defineNode({
  type: "test.flaky",
  version: 1,
  title: "Flaky",
  category: "test",
  description: "fails on purpose",
  kind: "pure",
  params: z.object({ failures: z.number().int().min(0), retryable: z.boolean().default(true) }).strict(),
  run(ctx) {
    calls.push({ runId: ctx.run.id, nodeId: ctx.nodeId, attempt: ctx.attempt, at: Date.now() });
    if (ctx.attempt <= ctx.params.failures) {
      throw new KeelError(ctx.params.retryable ? "TRANSIENT" : "NODE_FAILED", `attempt ${ctx.attempt} failed on purpose`, {
        retryable: ctx.params.retryable,
      });
    }
    return { attempt: ctx.attempt };
  },
});

/** Never finishes by itself: resolves only when its signal aborts, and records why. */
export const hang = defineNode({
  type: "test.hang",
  version: 1,
  title: "Hang",
  category: "test",
  description: "waits for its abort signal",
  kind: "pure",
  params: z.object({}).strict(),
  run(ctx) {
    calls.push({ runId: ctx.run.id, nodeId: ctx.nodeId, attempt: ctx.attempt, at: Date.now() });
    return new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
    });
  },
});

/** The built-in node types plus the test ones. */
export function testRegistry(): NodeRegistry {
  return createRegistry([flaky, hang]);
}

/** Calls of one run, optionally of one node. */
export function callsOf(runId: string, nodeId?: string): Call[] {
  return calls.filter((c) => c.runId === runId && (nodeId === undefined || c.nodeId === nodeId));
}
