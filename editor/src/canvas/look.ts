/** How each kind of node looks: a glyph and a colour, used by the nodes, the palette and the minimap. */
import type { NodeTypeInfo } from "../api/types.ts";

/** The look of a component key (see componentFor). */
export const KIND_LOOK: Record<string, { glyph: string; color: string; label: string }> = {
  trigger: { glyph: "▶", color: "#16a34a", label: "Trigger" },
  pure: { glyph: "ƒ", color: "#2563eb", label: "Step" },
  model: { glyph: "✦", color: "#7c3aed", label: "Model" },
  action: { glyph: "⇢", color: "#ea580c", label: "Action" },
  wait: { glyph: "‖", color: "#ca8a04", label: "Wait" },
  code: { glyph: "{}", color: "#475569", label: "Code" },
  unknown: { glyph: "?", color: "#dc2626", label: "Unknown" },
};

/** Palette order of categories; others follow alphabetically. */
export const CATEGORY_ORDER = ["trigger", "data", "logic", "memory", "model", "ai", "code", "human", "action"];

/** Categories in palette order, each with its node types sorted by title. */
export function groupByCategory(types: readonly NodeTypeInfo[]): Array<[string, NodeTypeInfo[]]> {
  const groups = new Map<string, NodeTypeInfo[]>();
  for (const t of types) {
    const list = groups.get(t.category) ?? [];
    list.push(t);
    groups.set(t.category, list);
  }
  const rank = (c: string) => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i === -1 ? CATEGORY_ORDER.length : i;
  };
  return [...groups]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([c, list]) => [c, list.sort((x, y) => x.title.localeCompare(y.title))]);
}

/** A one-line summary of a node's params for its card (first short text value). */
export function paramSummary(params: Record<string, unknown>): string {
  for (const key of ["url", "path", "query", "condition", "prompt", "title", "ms"]) {
    const v = params[key];
    if (typeof v === "string" && v.trim()) return oneLine(v);
    if (typeof v === "number") return `${key}: ${v}`;
  }
  for (const v of Object.values(params)) if (typeof v === "string" && v.trim()) return oneLine(v);
  const keys = Object.keys(params);
  if (keys.length === 1 && params[keys[0]] && typeof params[keys[0]] === "object") {
    const inner = Object.keys(params[keys[0]] as object);
    if (inner.length) return `${keys[0]}: ${inner.join(", ")}`;
  }
  return "";
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > 30 ? `${line.slice(0, 29)}…` : line;
}
