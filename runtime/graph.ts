import type { FlowEdge, FlowNode } from "./schema/flow.ts";

/** A flow's nodes and edges, indexed for scheduling. */
export interface FlowGraph {
  /** Node ids in a topological order (edges point forward). */
  order: string[];
  incoming: Map<string, FlowEdge[]>;
  outgoing: Map<string, FlowEdge[]>;
  /** Nodes with no outgoing edges: their outputs are the run's output. */
  sinks: string[];
}

/** Builds the graph; returns the nodes of one cycle instead when there is a cycle. */
export function buildGraph(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): FlowGraph | { cycle: string[] } {
  const incoming = new Map<string, FlowEdge[]>();
  const outgoing = new Map<string, FlowEdge[]>();
  for (const n of nodes) {
    incoming.set(n.id, []);
    outgoing.set(n.id, []);
  }
  for (const e of edges) {
    outgoing.get(e.from)?.push(e);
    incoming.get(e.to)?.push(e);
  }
  const remaining = new Map(nodes.map((n) => [n.id, incoming.get(n.id)!.length]));
  const queue = nodes.filter((n) => remaining.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    order.push(id);
    for (const e of outgoing.get(id)!) {
      const left = remaining.get(e.to)! - 1;
      remaining.set(e.to, left);
      if (left === 0) queue.push(e.to);
    }
  }
  if (order.length < nodes.length) return { cycle: findCycle(nodes, incoming, new Set(order)) };
  const sinks = order.filter((id) => outgoing.get(id)!.length === 0);
  return { order, incoming, outgoing, sinks };
}

/**
 * Walks backwards from a node the topological sort left over until a node repeats: that loop
 * is a cycle. Every left-over node has a left-over predecessor, or it would have been sorted.
 */
function findCycle(nodes: readonly FlowNode[], incoming: Map<string, FlowEdge[]>, sorted: Set<string>): string[] {
  const seen = new Map<string, number>();
  const path: string[] = [];
  let at = nodes.find((n) => !sorted.has(n.id))!.id;
  while (!seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    at = incoming.get(at)!.find((e) => !sorted.has(e.from))!.from;
  }
  return path.slice(seen.get(at)).reverse();
}

/** Every node downstream of `id` (not including it). */
export function downstreamOf(graph: FlowGraph, id: string): Set<string> {
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) {
    for (const e of graph.outgoing.get(stack.pop()!) ?? []) {
      if (!out.has(e.to)) {
        out.add(e.to);
        stack.push(e.to);
      }
    }
  }
  return out;
}
