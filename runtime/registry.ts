import type { NodeType } from "./node.ts";

/** The node types a process knows, by type name. */
export class NodeRegistry {
  private readonly types = new Map<string, NodeType>();

  constructor(types: Iterable<NodeType> = []) {
    for (const t of types) this.add(t);
  }

  add(type: NodeType): this {
    if (this.types.has(type.type)) throw new Error(`node type ${type.type} is registered twice`);
    this.types.set(type.type, type);
    return this;
  }

  get(type: string): NodeType | undefined {
    return this.types.get(type);
  }

  list(): NodeType[] {
    return [...this.types.values()];
  }

  /** The known types closest in spelling to `type`, best first (for "did you mean"). */
  closest(type: string, max = 3): string[] {
    const wanted = type.toLowerCase();
    return [...this.types.keys()]
      .map((known) => ({ known, d: distance(wanted, known.toLowerCase()) }))
      .sort((a, b) => a.d - b.d || a.known.localeCompare(b.known))
      .slice(0, max)
      .map((x) => x.known);
  }
}

/** Levenshtein distance, with a bonus for a shared suffix or prefix after the dot. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  const tail = (s: string) => s.slice(s.lastIndexOf(".") + 1);
  return prev[b.length] - (tail(a) === tail(b) ? 2 : 0);
}
