import type { SerializedError } from "../errors.ts";
import type { Flow } from "./flow.ts";

/** Status of a run as a whole. */
export type RunStatus = "running" | "waiting" | "succeeded" | "failed" | "canceled";
/** Status of one node in a run. */
export type NodeStatus = "pending" | "running" | "succeeded" | "failed" | "skipped" | "waiting";

/**
 * Every event of a run's log. A run's state is a fold of these (runtime/state.ts).
 * `seq` and `ts` are set by the engine; the store adds the hash chain.
 */
export type RunEventBody =
  | { type: "run.created"; flow: Flow; input: unknown; startedAt: string; parentRunId?: string; fromNode?: string }
  | { type: "run.resumed"; pid: number }
  | { type: "run.waiting" }
  | { type: "run.succeeded"; output: Record<string, unknown> }
  | { type: "run.failed"; error: SerializedError; node?: string }
  | { type: "run.canceled"; reason: string }
  | { type: "node.started"; node: string; attempt: number; input?: Record<string, unknown> }
  | { type: "node.intent"; node: string; attempt: number; key: string }
  | { type: "node.retry"; node: string; attempt: number; error: SerializedError; delayMs: number }
  | { type: "node.succeeded"; node: string; attempt: number; output: unknown; port?: string; ms: number; reused?: boolean }
  | { type: "node.failed"; node: string; attempt: number; error: SerializedError; ms: number }
  | { type: "node.skipped"; node: string; reason: string }
  | { type: "node.waiting"; node: string; attempt: number; wait: { kind: string; until?: number; data?: Record<string, unknown> } }
  | { type: "node.woken"; node: string; timedOut: boolean; value?: unknown }
  | { type: "node.log"; node: string; message: string; data?: unknown }
  | { type: "node.trace"; node: string; kind: string; data: Record<string, unknown> }
  | { type: "compensation.started"; node: string; key: string }
  | { type: "compensation.succeeded"; node: string }
  | { type: "compensation.failed"; node: string; error: SerializedError };

/** An event as stored: its body plus position and time. */
export type RunEvent = RunEventBody & { seq: number; ts: number };

/** The type names of run events. */
export type RunEventType = RunEventBody["type"];

/** Events after which nothing more happens to a run. */
export const TERMINAL_EVENTS: ReadonlySet<RunEventType> = new Set(["run.succeeded", "run.failed", "run.canceled"]);
