/** The palette: every node type the server knows, grouped by category; drag one onto the canvas (or press Enter). */
import { memo, useMemo, useState, type DragEvent } from "react";
import type { NodeTypeInfo } from "../api/types.ts";
import { NODE_TYPE_MIME } from "../canvas/Canvas.tsx";
import { KIND_LOOK, groupByCategory } from "../canvas/look.ts";
import { componentFor } from "../flow/convert.ts";

export const Palette = memo(function Palette({ types, onAdd }: { types: readonly NodeTypeInfo[]; onAdd: (info: NodeTypeInfo) => void }) {
  const [filter, setFilter] = useState("");
  const groups = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const shown = q ? types.filter((t) => `${t.title} ${t.type} ${t.category} ${t.description}`.toLowerCase().includes(q)) : types;
    return groupByCategory(shown);
  }, [types, filter]);

  const onDragStart = (e: DragEvent, info: NodeTypeInfo) => {
    e.dataTransfer.setData(NODE_TYPE_MIME, info.type);
    e.dataTransfer.effectAllowed = "copy";
  };

  return (
    <nav className="palette" aria-label="Node palette">
      <input
        type="search"
        className="palette-search"
        placeholder="Find a node…"
        aria-label="Find a node type"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      {groups.length === 0 && <p className="muted small">No node type matches “{filter}”.</p>}
      {groups.map(([category, list]) => (
        <section key={category} className="palette-group" aria-label={category}>
          <h3>{category}</h3>
          <ul>
            {list.map((info) => {
              const look = KIND_LOOK[componentFor(info)];
              return (
                <li key={info.type}>
                  <button
                    type="button"
                    className="palette-item"
                    draggable
                    data-node-type={info.type}
                    title={`${info.description}\n\nDrag onto the canvas, or press Enter to add.`}
                    onDragStart={(e) => onDragStart(e, info)}
                    onClick={() => onAdd(info)}
                    style={{ "--kind": look.color } as React.CSSProperties}
                  >
                    <span className="palette-glyph" aria-hidden="true">
                      {look.glyph}
                    </span>
                    <span className="palette-text">
                      <span className="palette-title">{info.title}</span>
                      <span className="palette-type">{info.type}</span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </nav>
  );
});
