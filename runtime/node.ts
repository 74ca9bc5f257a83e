import type { z } from "zod";
import type { Doors } from "./doors.ts";
import type { RetryPolicy } from "./retry.ts";
import type { Flow, FlowNode } from "./schema/flow.ts";

/** How the engine treats a node type (see DESIGN.md section 3). */
export type NodeKind = "pure" | "model" | "action" | "wait" | "code";

/** What a wait node asks the engine for: a deadline, and data for whoever answers the wait. */
export interface WaitRequest {
  /** What is waited for: "timer", "approval", ... A handler of that kind may be registered. */
  kind: string;
  /** Epoch ms at which the engine wakes the node by itself (with `{ timedOut: true }`). */
  until?: number;
  data?: Record<string, unknown>;
}

const SUSPENDED = Symbol("keel.suspended");

/** Returned by a wait node's run to suspend the run until the wait is answered. */
export interface Suspended {
  readonly [SUSPENDED]: true;
  readonly wait: WaitRequest;
}

/** True when a node's run returned a suspension rather than an output. */
export function isSuspended(value: unknown): value is Suspended {
  return typeof value === "object" && value !== null && (value as Suspended)[SUSPENDED] === true;
}

/** Builds the value a wait node returns to suspend. */
export function suspend(wait: WaitRequest): Suspended {
  return { [SUSPENDED]: true, wait };
}

/** The run a node belongs to. */
export interface RunInfo {
  id: string;
  flowId: string;
  startedAt: string;
  /** The input the run was started with. */
  input: unknown;
}

/**
 * Everything a node sees: its resolved, validated params, its input, and the doors the engine
 * opens. Passed as an argument; a node test builds one with `makeContext`.
 */
export interface NodeContext<P = unknown> extends Doors {
  params: P;
  /** Outputs of upstream nodes whose edges are active, keyed by node id. */
  input: Record<string, unknown>;
  run: RunInfo;
  nodeId: string;
  /** 1 on the first attempt; counts across resumes. */
  attempt: number;
  /** Stable across retries and resumes of the same run and node: pass it to the outside service. */
  idempotencyKey: string;
  signal: AbortSignal;
  log(message: string, data?: unknown): void;
  /** For wait nodes: the value the wait was answered with; undefined on the first call. */
  wake?: WakeValue;
}

/** How a wait was answered: by a timer (timedOut) or by someone (value). */
export interface WakeValue {
  timedOut: boolean;
  value?: unknown;
}

/** A node type: one file in nodes/, a plain declarative object. */
export interface NodeType<P = any, O = any> {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  kind: NodeKind;
  /** The params schema; defaults live only here. */
  params: z.ZodType<P, any>;
  output?: z.ZodType<O, any>;
  /** Param names whose text is never evaluated as an expression (e.g. code). */
  literalParams?: readonly string[];
  /** Default retry policy for nodes of this type; a node's own `retry` overrides it. */
  retry?: Partial<RetryPolicy>;
  /** Named output ports; edges choose one with `when`. */
  ports?: readonly string[];
  /** Which port an output leaves by; required when `ports` is set. */
  port?(output: O): string;
  /** Problems with this node that only its place in the flow shows (e.g. a param naming another node). */
  checkInFlow?(node: FlowNode, flow: Flow): string[];
  run(ctx: NodeContext<P>): Promise<O | Suspended> | O | Suspended;
  /** Action nodes only: undo a finished action (saga compensation). */
  compensate?(ctx: NodeContext<P>, output: O): Promise<void> | void;
}

/** Declares a node type with its params type inferred from the zod schema. */
export function defineNode<S extends z.ZodType, O = unknown>(
  def: Omit<NodeType<z.output<S>, O>, "params" | "run" | "compensate"> & {
    params: S;
    run(ctx: NodeContext<z.output<S>>): Promise<O | Suspended> | O | Suspended;
    compensate?(ctx: NodeContext<z.output<S>>, output: O): Promise<void> | void;
  },
): NodeType<z.output<S>, O> {
  if (def.ports && !def.port) throw new Error(`node type ${def.type} declares ports but no port()`);
  return def as NodeType<z.output<S>, O>;
}
