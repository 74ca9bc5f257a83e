/**
 * Validation and compilation of a flow document: everything that can be checked before a run
 * starts is checked here, once, and the result (graph, compiled params, policies) is reused by
 * every run of the flow.
 */
import { z } from "zod";
import { ValidationError } from "./errors.ts";
import { compileParams, isDynamic, type Compiled } from "./expressions.ts";
import { buildGraph, type FlowGraph } from "./graph.ts";
import type { NodeType } from "./node.ts";
import type { NodeRegistry } from "./registry.ts";
import { NO_RETRY, RetryPolicySchema, type RetryPolicy } from "./retry.ts";
import { FLOW_SCHEMA, FlowSchema, type Flow, type FlowNode } from "./schema/flow.ts";

/** One problem found in a flow: where (a JSON path), which node, and what. */
export interface FlowIssue {
  path: string;
  nodeId?: string;
  message: string;
}

/** A node ready to run: its type, compiled params and effective policy. */
export interface PreparedNode {
  node: FlowNode;
  def: NodeType;
  params: Compiled;
  /** Params parsed once when they hold no expressions. */
  staticParams?: unknown;
  retry: RetryPolicy;
  label: string;
}

/** A validated, compiled flow. */
export interface PreparedFlow {
  flow: Flow;
  graph: FlowGraph;
  nodes: Map<string, PreparedNode>;
  inputSchema?: z.ZodType;
}

/** Thrown for a flow that fails validation; `details` holds every issue. */
export class FlowValidationError extends ValidationError {
  readonly issues: FlowIssue[];
  constructor(issues: FlowIssue[]) {
    const lines = issues.slice(0, 20).map((i) => `  - ${i.message}`);
    if (issues.length > 20) lines.push(`  - … and ${issues.length - 20} more`);
    super(`flow is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`, {
      details: { issues },
    });
    this.issues = issues;
  }
}

const cache = new WeakMap<object, PreparedFlow>();

/** Validates and compiles a flow document; throws FlowValidationError naming every problem. */
export function prepareFlow(doc: unknown, registry: NodeRegistry): PreparedFlow {
  if (doc !== null && typeof doc === "object") {
    const hit = cache.get(doc);
    if (hit) return hit;
  }
  const result = checkFlow(doc, registry);
  if (!result.ok) throw new FlowValidationError(result.issues);
  if (doc !== null && typeof doc === "object") cache.set(doc, result.prepared);
  return result.prepared;
}

/** Validates a flow document and reports every problem found, without throwing. */
export function checkFlow(
  doc: unknown,
  registry: NodeRegistry,
): { ok: true; prepared: PreparedFlow } | { ok: false; issues: FlowIssue[] } {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, issues: [{ path: "", message: `a flow must be a JSON object, got ${describe(doc)}` }] };
  }
  const raw = doc as Record<string, unknown>;
  if (raw.schema !== FLOW_SCHEMA) {
    const got = raw.schema === undefined ? "no schema field" : `schema ${JSON.stringify(raw.schema)}`;
    return { ok: false, issues: [{ path: "schema", message: `schema: unsupported flow version (${got}); expected "${FLOW_SCHEMA}"` }] };
  }
  const parsed = FlowSchema.safeParse(doc);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => shapeIssue(raw, i.path, i.message)) };
  }
  const flow = parsed.data;
  const issues: FlowIssue[] = [];
  const byId = new Map<string, FlowNode>();
  flow.nodes.forEach((n, i) => {
    if (byId.has(n.id)) issues.push({ path: `nodes[${i}].id`, nodeId: n.id, message: `node "${n.id}": id is used by more than one node` });
    byId.set(n.id, n);
  });
  const edgeIds = new Set<string>();
  flow.edges.forEach((e, i) => {
    const where = `edge "${e.id}" (${e.from} → ${e.to})`;
    if (edgeIds.has(e.id)) issues.push({ path: `edges[${i}].id`, message: `${where}: id is used by more than one edge` });
    edgeIds.add(e.id);
    for (const [end, id] of [["from", e.from], ["to", e.to]] as const) {
      if (!byId.has(id)) issues.push({ path: `edges[${i}].${end}`, message: `${where}: ${end} node "${id}" does not exist` });
    }
    if (e.from === e.to) issues.push({ path: `edges[${i}]`, message: `${where}: a node cannot connect to itself` });
    const source = byId.get(e.from);
    const def = source && registry.get(source.type);
    if (def && e.when !== undefined) {
      if (!def.ports) issues.push({ path: `edges[${i}].when`, message: `${where}: when "${e.when}" but ${def.type} has no ports to choose from` });
      else if (!def.ports.includes(e.when)) {
        issues.push({ path: `edges[${i}].when`, message: `${where}: when "${e.when}" is not a port of ${def.type} (ports: ${def.ports.join(", ")})` });
      }
    }
  });

  const nodes = new Map<string, PreparedNode>();
  flow.nodes.forEach((n, i) => {
    const def = registry.get(n.type);
    if (!def) {
      const near = registry.closest(n.type);
      issues.push({
        path: `nodes[${i}].type`,
        nodeId: n.id,
        message: `node "${n.id}": unknown node type "${n.type}"${near.length ? ` (did you mean ${near.map((t) => `"${t}"`).join(", ")}?)` : ""}`,
      });
      return;
    }
    const prepared = prepareNode(n, def, i, issues);
    if (prepared) nodes.set(n.id, prepared);
  });

  let inputSchema: z.ZodType | undefined;
  if (flow.input) {
    try {
      inputSchema = z.fromJSONSchema(flow.input as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (e) {
      issues.push({ path: "input", message: `input: not a usable JSON Schema: ${(e as Error).message}` });
    }
  }

  let graph: FlowGraph | undefined;
  if (!issues.some((i) => i.path.startsWith("edges") || i.path.endsWith(".id"))) {
    const g = buildGraph(flow.nodes, flow.edges);
    if ("cycle" in g) {
      const loop = [...g.cycle, g.cycle[0]].map((id) => `"${id}"`).join(" → ");
      issues.push({ path: "edges", message: `the flow has a cycle: ${loop}` });
    } else graph = g;
  }
  if (flow.nodes.length === 0) issues.push({ path: "nodes", message: "nodes: a flow needs at least one node" });
  if (graph) {
    flow.nodes.forEach((n, i) => {
      const p = nodes.get(n.id);
      for (const message of p?.def.checkInFlow?.(n, flow) ?? []) issues.push({ path: `nodes[${i}].params`, nodeId: n.id, message: `${p!.label}: ${message}` });
    });
  }
  if (issues.length || !graph) return { ok: false, issues };
  return { ok: true, prepared: { flow, graph, nodes, inputSchema } };
}

function prepareNode(n: FlowNode, def: NodeType, index: number, issues: FlowIssue[]): PreparedNode | undefined {
  const label = `node "${n.id}" (${n.type})`;
  let params: Compiled;
  try {
    params = compileParams(n.params, `${label} params`, def.literalParams);
  } catch (e) {
    // compile errors name the param already; a stack overflow (params nested thousands deep) does not
    const message = e instanceof RangeError ? `${label} params: nested too deeply (${e.message})` : (e as Error).message;
    issues.push({ path: `nodes[${index}].params`, nodeId: n.id, message });
    return undefined;
  }
  const check = def.params.safeParse(n.params);
  let staticParams: unknown;
  if (check.success) {
    if (!isDynamic(params)) staticParams = check.data;
  } else {
    for (const issue of check.error.issues) {
      // A value computed by an expression is checked when the run evaluates it.
      if (dependsOnExpression(n.params, issue.path)) continue;
      issues.push({
        path: `nodes[${index}].params${formatPath(issue.path)}`,
        nodeId: n.id,
        message: `${label} params${formatPath(issue.path)}: ${issue.message}`,
      });
    }
  }
  const retry = RetryPolicySchema.parse({ ...NO_RETRY, ...def.retry, ...n.retry });
  if (def.kind !== "action" && n.params.compensate !== undefined && !def.compensate) {
    issues.push({ path: `nodes[${index}].params.compensate`, nodeId: n.id, message: `${label}: only action nodes can compensate` });
  }
  return { node: n, def, params, staticParams, retry, label };
}

function dependsOnExpression(params: unknown, path: readonly PropertyKey[]): boolean {
  let at: unknown = params;
  for (let i = 0; ; i++) {
    if (typeof at === "string" && at.includes("{{")) return true;
    if (i >= path.length || at === null || typeof at !== "object") return false;
    at = (at as Record<PropertyKey, unknown>)[path[i]];
  }
}

/** Names a zod issue by node id when it is inside `nodes[i]`. */
function shapeIssue(raw: Record<string, unknown>, path: readonly PropertyKey[], message: string): FlowIssue {
  const p = formatPath(path).replace(/^\./, "");
  if (path[0] === "nodes" && typeof path[1] === "number") {
    const node = (raw.nodes as Array<Record<string, unknown>>)[path[1]];
    const id = typeof node?.id === "string" ? node.id : undefined;
    const who = id ? `node "${id}"` : `nodes[${path[1]}]`;
    const rest = formatPath(path.slice(2)).replace(/^\./, "");
    return { path: p, nodeId: id, message: `${who}${rest ? ` ${rest}` : ""}: ${message}` };
  }
  if (path[0] === "edges" && typeof path[1] === "number") {
    const edge = (raw.edges as Array<Record<string, unknown>>)[path[1]];
    const who = typeof edge?.id === "string" ? `edge "${edge.id}"` : `edges[${path[1]}]`;
    const rest = formatPath(path.slice(2)).replace(/^\./, "");
    return { path: p, message: `${who}${rest ? ` ${rest}` : ""}: ${message}` };
  }
  return { path: p, message: `${p || "flow"}: ${message}` };
}

/** `["a", 0, "b"]` → `.a[0].b` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("");
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
