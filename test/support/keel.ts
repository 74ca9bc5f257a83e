/** Test helpers: temp data folders, an open Keel, flow builders. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FLOW_SCHEMA, type FlowInput } from "../../runtime/schema/flow.ts";
import { openKeel, type Keel, type KeelOptions } from "../../server/keel.ts";

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = "keel-test-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** An open Keel over a temp data folder; close() closes it and removes the folder. */
export function testKeel(options: Partial<KeelOptions> = {}): Keel & { dispose(): Promise<void> } {
  const { dir, cleanup } = tempDir();
  const keel = openKeel({ dataDir: options.dataDir ?? dir, ...options });
  return Object.assign(keel, {
    async dispose() {
      await keel.close();
      cleanup();
    },
  });
}

type NodeSpec = { id: string; type: string; params?: Record<string, unknown> } & Record<string, unknown>;

/** Builds a flow document from nodes and `[from, to, when?]` edges. */
export function makeFlow(
  nodes: NodeSpec[],
  edges: Array<[string, string] | [string, string, string]> = [],
  extra: Partial<FlowInput> = {},
): FlowInput {
  return {
    schema: FLOW_SCHEMA,
    id: "test-flow",
    name: "Test flow",
    nodes: nodes.map((n) => ({ params: {}, ...n })) as FlowInput["nodes"],
    edges: edges.map(([from, to, when], i) => ({ id: `e${i + 1}`, from, to, ...(when ? { when } : {}) })),
    ...extra,
  };
}

/** A chain of `n` transform nodes, each adding one to the previous count. */
export function transformChain(n: number, id = "chain"): FlowInput {
  const nodes: NodeSpec[] = [{ id: "n0", type: "transform", params: { set: { count: "{{ input.start }}" } } }];
  for (let i = 1; i < n; i++) nodes.push({ id: `n${i}`, type: "transform", params: { set: { count: `{{ nodes.n${i - 1}.output.count + 1 }}` } } });
  const edges = nodes.slice(1).map((_, i) => [`n${i}`, `n${i + 1}`] as [string, string]);
  return makeFlow(nodes, edges, { id, name: `${n}-node chain` });
}
