import type { SerializedError } from "./errors.ts";
import type { NodeStatus, RunStatus } from "./schema/events.ts";
import type { RunState } from "./state.ts";
import type { RunSummary } from "./stores.ts";
import type { UsageTotals } from "./models/usage.ts";

/** One node in a run result. */
export interface NodeResult {
  status: NodeStatus;
  attempts: number;
  output?: unknown;
  error?: SerializedError;
  /** The node's model calls: tokens, cost, latency, cache hits (only when it made any). */
  usage?: UsageTotals;
}

/** What `keel run` prints and the API returns for a run. */
export interface RunResult {
  runId: string;
  flowId: string;
  status: RunStatus;
  /** Outputs of the flow's sink nodes (no outgoing edges), keyed by node id. */
  output: Record<string, unknown>;
  nodes: Record<string, NodeResult>;
  error?: SerializedError;
  /** The run's model calls rolled up (only when it made any). */
  usage?: UsageTotals;
}

/** The result view of a run's state. Nodes a finished run never reached show as skipped. */
export function toRunResult(state: RunState): RunResult {
  const finished = state.status === "succeeded" || state.status === "failed" || state.status === "canceled";
  const nodes: Record<string, NodeResult> = {};
  for (const [id, n] of Object.entries(state.nodes)) {
    const status: NodeStatus = finished && (n.status === "pending" || n.status === "running") ? "skipped" : n.status;
    const r: NodeResult = { status, attempts: n.attempts };
    if (n.status === "succeeded") r.output = n.output;
    if (n.error && n.status !== "succeeded") r.error = n.error;
    const usage = state.usage?.nodes[id];
    if (usage) r.usage = usage;
    nodes[id] = r;
  }
  return {
    runId: state.id,
    flowId: state.flow.id,
    status: state.status,
    output: state.output ?? {},
    nodes,
    ...(state.error ? { error: state.error } : {}),
    ...(state.usage ? { usage: totalsOf(state.usage) } : {}),
  };
}

function totalsOf({ nodes: _nodes, ...totals }: NonNullable<RunState["usage"]>): UsageTotals {
  return totals;
}

/** The run-index line of a run, from its state (always current; the index lags a little). */
export function toRunSummary(s: RunState): RunSummary {
  return {
    id: s.id,
    flowId: s.flow.id,
    flowName: s.flow.name,
    status: s.status,
    startedAt: s.startedAt,
    updatedAt: new Date(s.updatedAt).toISOString(),
    ...(s.finishedAt ? { finishedAt: new Date(s.finishedAt).toISOString() } : {}),
    ...(s.error ? { error: s.error.message } : {}),
    ...(s.parentRunId ? { parentRunId: s.parentRunId } : {}),
  };
}
