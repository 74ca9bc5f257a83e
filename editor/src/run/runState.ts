/** A run as the editor shows it: folded from its events, updated live as more arrive. */
import type { RunEvent, RunResult, RunStatus, SerializedError } from "../api/types.ts";

/** A node's status on the canvas ("queued" is a node the run has not reached yet). */
export type LiveStatus = "queued" | "running" | "succeeded" | "failed" | "skipped" | "waiting";

/** One node in a run. */
export interface NodeRunView {
  status: LiveStatus;
  attempts: number;
  input?: unknown;
  output?: unknown;
  error?: SerializedError;
  /** The port its output left by (branch nodes). */
  port?: string;
  ms?: number;
  /** Why it was skipped, or the retry it is waiting for. */
  note?: string;
  /** The approval it waits for (human.approve). */
  approvalId?: string;
}

/** A run: status, nodes, and the last event seen. */
export interface RunView {
  runId: string;
  flowId: string;
  status: RunStatus;
  nodes: Readonly<Record<string, NodeRunView>>;
  lastSeq: number;
  error?: SerializedError;
  startedAt?: string;
  /** The input the run was started with. */
  input?: unknown;
  events: number;
}

const FINISHED: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "canceled"]);

/** True once nothing more will happen to the run. */
export function isFinished(status: RunStatus): boolean {
  return FINISHED.has(status);
}

/** A run just started: every node queued. */
export function startedRun(runId: string, flowId: string, nodeIds: readonly string[]): RunView {
  return { runId, flowId, status: "running", nodes: Object.fromEntries(nodeIds.map((id) => [id, { status: "queued", attempts: 0 }])), lastSeq: 0, events: 0 };
}

/** The view of a run read from `GET /api/runs/:id`. */
export function runFromResponse(res: { run: RunResult; events: RunEvent[] }): RunView {
  let view = startedRun(res.run.runId, res.run.flowId, Object.keys(res.run.nodes));
  for (const e of res.events) view = applyEvent(view, e);
  return settle({ ...view, status: res.run.status, ...(res.run.error ? { error: res.run.error } : {}) });
}

/** Applies one event (events already applied are ignored). */
export function applyEvent(view: RunView, e: RunEvent): RunView {
  if (e.seq <= view.lastSeq) return view;
  const next: RunView = { ...view, lastSeq: e.seq, events: view.events + 1 };
  const node = (id: string, patch: Partial<NodeRunView>) => {
    const was = next.nodes[id] ?? { status: "queued" as const, attempts: 0 };
    next.nodes = { ...next.nodes, [id]: { ...was, ...patch } };
  };
  switch (e.type) {
    case "run.created":
      next.startedAt = e.startedAt;
      next.input = e.input;
      next.nodes = { ...Object.fromEntries(e.flow.nodes.map((n) => [n.id, { status: "queued" as const, attempts: 0 }])), ...next.nodes };
      break;
    case "run.resumed":
      next.status = "running";
      break;
    case "run.waiting":
      next.status = "waiting";
      break;
    case "run.succeeded":
      next.status = "succeeded";
      return settle(next);
    case "run.failed":
      next.status = "failed";
      next.error = e.error;
      return settle(next);
    case "run.canceled":
      next.status = "canceled";
      return settle(next);
    case "node.started":
      node(e.node, { status: "running", attempts: e.attempt, ...(e.input !== undefined ? { input: e.input } : {}), error: undefined, note: undefined });
      break;
    case "node.retry":
      node(e.node, { status: "running", attempts: e.attempt, error: e.error, note: `retrying in ${Math.round(e.delayMs)} ms` });
      break;
    case "node.succeeded":
      node(e.node, { status: "succeeded", attempts: e.attempt, output: e.output, port: e.port, ms: e.ms, error: undefined, note: e.reused ? "reused from an earlier run" : undefined });
      break;
    case "node.failed":
      node(e.node, { status: "failed", attempts: e.attempt, error: e.error, ms: e.ms, note: undefined });
      break;
    case "node.skipped":
      node(e.node, { status: "skipped", note: e.reason });
      break;
    case "node.waiting":
      node(e.node, {
        status: "waiting",
        attempts: e.attempt,
        note: `waiting for ${e.wait.kind}`,
        ...(typeof e.wait.data?.approvalId === "string" ? { approvalId: e.wait.data.approvalId } : {}),
      });
      break;
    case "node.woken":
      node(e.node, { status: "running", note: e.timedOut ? "woken by its timer" : "answered" });
      break;
    default:
      break;
  }
  return next;
}

/** A finished run's nodes that never ran show as skipped (as the run result says). */
function settle(view: RunView): RunView {
  if (!isFinished(view.status)) return view;
  let nodes = view.nodes;
  for (const [id, n] of Object.entries(view.nodes)) {
    if (n.status === "queued" || n.status === "running") nodes = { ...nodes, [id]: { ...n, status: "skipped" } };
  }
  return nodes === view.nodes ? view : { ...view, nodes };
}

/**
 * What a node received: the outputs of the upstream nodes whose edges carried on (keyed by node
 * id, as the node's `ctx.input` sees them), or the run's input for a node with nothing upstream.
 * Undefined until the node has started.
 */
export function nodeInput(view: RunView, nodeId: string, upstream: ReadonlyArray<{ from: string; when?: string | null }>): unknown {
  const node = view.nodes[nodeId];
  if (!node || node.status === "queued" || node.status === "skipped") return undefined;
  if (node.input !== undefined) return node.input;
  if (upstream.length === 0) return view.input;
  const input: Record<string, unknown> = {};
  for (const edge of upstream) {
    const from = view.nodes[edge.from];
    if (from?.status !== "succeeded") continue;
    if (edge.when && from.port !== undefined && from.port !== edge.when) continue;
    input[edge.from] = from.output;
  }
  return input;
}
