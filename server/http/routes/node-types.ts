/** `GET /api/node-types`: every node type with its params as JSON Schema: the editor's palette and forms. */
import { z } from "zod";
import type { NodeType } from "../../../runtime/node.ts";
import type { RouteModule } from "../context.ts";

/** A node type as the editor sees it. */
export interface NodeTypeInfo {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  kind: NodeType["kind"];
  /** JSON Schema of the params as written (input side: defaults shown, not required). */
  params: Record<string, unknown>;
  /** JSON Schema of the output, when the node type declares one. */
  output?: Record<string, unknown>;
  ports: string[] | null;
  literalParams: string[];
}

/** Describes one node type; schemas that JSON Schema cannot express become `{}`. */
export function describeNodeType(def: NodeType): NodeTypeInfo {
  return {
    type: def.type,
    version: def.version,
    title: def.title,
    category: def.category,
    description: def.description,
    kind: def.kind,
    params: toSchema(def.params, "input") ?? {},
    ...(def.output ? { output: toSchema(def.output, "output") } : {}),
    ports: def.ports ? [...def.ports] : null,
    literalParams: [...(def.literalParams ?? [])],
  };
}

function toSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> | undefined {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export const nodeTypeRoutes: RouteModule = (api, ctx) => {
  let items: NodeTypeInfo[] | undefined; // the registry is fixed for the life of the process
  api.get("/node-types", (_req, res) => {
    items ??= ctx.keel.registry.list().map(describeNodeType);
    res.json({ items });
  });
};
