/** The node types the server offers (GET /api/node-types), loaded once per page. */
import { getOnce } from "./api/prefetch.ts";
import type { NodeTypeInfo } from "./api/types.ts";

/** Node types as a list (palette order is decided there) and by name. */
export interface Catalog {
  types: NodeTypeInfo[];
  byName: ReadonlyMap<string, NodeTypeInfo>;
}

/** Loads the catalog. */
export async function loadCatalog(): Promise<Catalog> {
  const { items } = await getOnce<{ items: NodeTypeInfo[] }>("node-types");
  return { types: items, byName: new Map(items.map((t) => [t.type, t])) };
}
