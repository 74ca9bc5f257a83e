/** A run's state is a fold of its events: this file is that fold, used live and on reload. */
import { CorruptError, type SerializedError } from "./errors.ts";
import type { WakeValue } from "./node.ts";
import type { Flow } from "./schema/flow.ts";
import type { NodeStatus, RunEvent, RunStatus } from "./schema/events.ts";
import { addModelCall, MODEL_CALL, type RunUsage } from "./models/usage.ts";

/** One node's state in a run. */
export interface NodeState {
  status: NodeStatus;
  /** node.started events seen: attempts made, including ones a crash interrupted. */
  attempts: number;
  /** node.retry events seen: failed attempts that were retried. */
  retries: number;
  output?: unknown;
  port?: string;
  error?: SerializedError;
  /** For actions: the key of the last call the engine announced. */
  intent?: { key: string; attempt: number };
  wait?: { kind: string; until?: number; data?: Record<string, unknown> };
  wake?: WakeValue;
  /** seq of the node's succeeded event: compensation runs in reverse of this. */
  doneSeq?: number;
  startedAt?: number;
  finishedAt?: number;
  skipReason?: string;
  reused?: boolean;
}

/** Everything known about a run. */
export interface RunState {
  id: string;
  flow: Flow;
  input: unknown;
  startedAt: string;
  status: RunStatus;
  nodes: Record<string, NodeState>;
  output?: Record<string, unknown>;
  error?: SerializedError;
  /** The node whose failure is failing the run, once one has. */
  failedNode?: string;
  compensations: Record<string, "started" | "succeeded" | "failed">;
  cancelReason?: string;
  parentRunId?: string;
  fromNode?: string;
  lastSeq: number;
  updatedAt: number;
  finishedAt?: number;
  /** Model calls rolled up per node and for the run (from `model.call` traces), once there is one. */
  usage?: RunUsage;
}

/** Builds a run's state from its events; throws CORRUPT when the log does not start a run. */
export function foldEvents(runId: string, events: readonly RunEvent[]): RunState {
  const first = events[0];
  if (!first || first.type !== "run.created") {
    throw new CorruptError(`run ${runId}: log does not begin with run.created`);
  }
  const state = initialState(runId, first);
  for (let i = 1; i < events.length; i++) applyEvent(state, events[i]);
  return state;
}

function initialState(runId: string, e: Extract<RunEvent, { type: "run.created" }>): RunState {
  const nodes: Record<string, NodeState> = {};
  for (const n of e.flow.nodes) nodes[n.id] = { status: "pending", attempts: 0, retries: 0 };
  return {
    id: runId,
    flow: e.flow,
    input: e.input,
    startedAt: e.startedAt,
    status: "running",
    nodes,
    compensations: {},
    parentRunId: e.parentRunId,
    fromNode: e.fromNode,
    lastSeq: e.seq,
    updatedAt: e.ts,
  };
}

/** Applies one event to a run's state, in place. */
export function applyEvent(state: RunState, e: RunEvent): void {
  state.lastSeq = e.seq;
  state.updatedAt = e.ts;
  switch (e.type) {
    case "run.created":
      throw new CorruptError(`run ${state.id}: run.created appears twice (seq ${e.seq})`);
    case "run.resumed":
      if (state.status === "waiting") state.status = "running";
      return;
    case "run.waiting":
      state.status = "waiting";
      return;
    case "run.succeeded":
      state.status = "succeeded";
      state.output = e.output;
      state.finishedAt = e.ts;
      return;
    case "run.failed":
      state.status = "failed";
      state.error = e.error;
      state.finishedAt = e.ts;
      return;
    case "run.canceled":
      state.status = "canceled";
      state.cancelReason = e.reason;
      state.finishedAt = e.ts;
      return;
    case "compensation.started":
      state.compensations[e.node] = "started";
      return;
    case "compensation.succeeded":
      state.compensations[e.node] = "succeeded";
      return;
    case "compensation.failed":
      state.compensations[e.node] = "failed";
      return;
    case "node.log":
      return;
    case "node.trace":
      if (e.kind === MODEL_CALL) state.usage = addModelCall(state.usage, e.node, e.data);
      return;
  }
  const n = state.nodes[e.node];
  if (!n) throw new CorruptError(`run ${state.id}: event ${e.seq} (${e.type}) names unknown node "${e.node}"`);
  switch (e.type) {
    case "node.started":
      n.status = "running";
      n.attempts = e.attempt;
      n.startedAt = e.ts;
      if (state.status === "waiting") state.status = "running";
      return;
    case "node.intent":
      n.intent = { key: e.key, attempt: e.attempt };
      return;
    case "node.retry":
      n.retries++;
      n.error = e.error;
      return;
    case "node.succeeded":
      n.status = "succeeded";
      n.output = e.output;
      n.port = e.port;
      n.error = undefined;
      n.wait = undefined;
      n.doneSeq = e.seq;
      n.finishedAt = e.ts;
      n.reused = e.reused;
      return;
    case "node.failed":
      n.status = "failed";
      n.error = e.error;
      n.wait = undefined;
      n.finishedAt = e.ts;
      if (state.flow.nodes.find((x) => x.id === e.node)?.onError !== "continue") state.failedNode ??= e.node;
      return;
    case "node.skipped":
      n.status = "skipped";
      n.skipReason = e.reason;
      return;
    case "node.waiting":
      n.status = "waiting";
      n.wait = e.wait;
      n.wake = undefined;
      return;
    case "node.woken":
      n.wake = { timedOut: e.timedOut, value: e.value };
      return;
  }
}

/** True when no more events will change the run. */
export function isFinished(status: RunStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "canceled";
}
