/** The inspector's input widgets. Every text-like field accepts `{{ expressions }}`. */
import { useEffect, useId, useRef, useState } from "react";
import type { JsonSchema } from "../api/types.ts";
import { describeDefault, hasExpression, recordValueSchema, unwrap } from "./schema.ts";

/** What every widget receives. */
export interface WidgetProps {
  id: string;
  value: unknown;
  schema: JsonSchema;
  onChange: (value: unknown) => void;
  invalid: boolean;
  describedBy?: string;
  multiline?: boolean;
}

const aria = (p: WidgetProps) => ({ id: p.id, "aria-invalid": p.invalid || undefined, "aria-describedby": p.describedBy });

function placeholderOf(schema: JsonSchema): string | undefined {
  const d = describeDefault(unwrap(schema).schema.default);
  return d === undefined ? undefined : `default: ${d}`;
}

/** Text, single or multi-line; an emptied field removes the value (so its default applies). */
export function TextWidget(p: WidgetProps) {
  const text = p.value === undefined || p.value === null ? "" : typeof p.value === "string" ? p.value : JSON.stringify(p.value);
  const change = (t: string) => p.onChange(t === "" ? undefined : t);
  const expr = hasExpression(text);
  return (
    <div className={`widget${expr ? " has-expression" : ""}`}>
      {p.multiline ? (
        <textarea {...aria(p)} value={text} rows={Math.min(14, Math.max(4, text.split("\n").length + 1))} spellCheck={false} placeholder={placeholderOf(p.schema)} onChange={(e) => change(e.target.value)} />
      ) : (
        <input {...aria(p)} type="text" value={text} spellCheck={false} placeholder={placeholderOf(p.schema)} onChange={(e) => change(e.target.value)} />
      )}
      {expr && <span className="expr-badge" title="Holds a {{ }} expression, evaluated when the node runs">{"{{ }}"}</span>}
    </div>
  );
}

/** Reads number text: a number, nothing, or (an expression, or a mistake) the text itself. */
export function parseNumberText(text: string): unknown {
  const t = text.trim();
  if (t === "") return undefined;
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  return text;
}

/** A number, or an expression that computes one. */
export function NumberWidget(p: WidgetProps) {
  const shown = p.value === undefined || p.value === null ? "" : String(p.value);
  const [text, setText] = useState(shown);
  useEffect(() => {
    setText((t) => (Object.is(parseNumberText(t), p.value) ? t : shown));
  }, [p.value, shown]);
  return (
    <div className={`widget${hasExpression(text) ? " has-expression" : ""}`}>
      <input
        {...aria(p)}
        type="text"
        inputMode="decimal"
        value={text}
        placeholder={placeholderOf(p.schema)}
        onChange={(e) => {
          setText(e.target.value);
          p.onChange(parseNumberText(e.target.value));
        }}
      />
    </div>
  );
}

/** A checkbox. */
export function BooleanWidget(p: WidgetProps & { label: string }) {
  const d = unwrap(p.schema).schema.default;
  const checked = typeof p.value === "boolean" ? p.value : d === true;
  return (
    <label className="checkbox">
      <input {...aria(p)} type="checkbox" checked={checked} onChange={(e) => p.onChange(e.target.checked)} />
      <span>{p.label}</span>
    </label>
  );
}

/** A choice among the schema's values. */
export function EnumWidget(p: WidgetProps & { required: boolean }) {
  const s = unwrap(p.schema).schema;
  const options = s.enum ?? (s.const !== undefined ? [s.const] : []);
  const current = options.findIndex((o) => o === p.value);
  const d = describeDefault(s.default);
  return (
    <select {...aria(p)} value={current === -1 ? "" : String(current)} onChange={(e) => p.onChange(e.target.value === "" ? undefined : options[Number(e.target.value)])}>
      {(!p.required || current === -1) && <option value="">{d !== undefined ? `default (${d})` : "— choose —"}</option>}
      {options.map((o, i) => (
        <option key={String(o)} value={String(i)}>
          {String(o)}
        </option>
      ))}
    </select>
  );
}

/**
 * Any JSON value: as text (the default, and what expressions need) or as JSON (objects, numbers,
 * lists). Invalid JSON stays in the box, marked, until it parses.
 */
export function AnyWidget(p: WidgetProps & { jsonOnly?: boolean }) {
  const [mode, setMode] = useState<"text" | "json">(() => (p.jsonOnly || (p.value !== undefined && typeof p.value !== "string") ? "json" : "text"));
  const [text, setText] = useState(() => (mode === "json" ? jsonText(p.value) : ""));
  const [bad, setBad] = useState<string | undefined>();
  const hintId = useId();
  const lastSent = useRef<unknown>(p.value);
  useEffect(() => {
    if (mode !== "json" || Object.is(p.value, lastSent.current)) return;
    lastSent.current = p.value;
    setText(jsonText(p.value));
    setBad(undefined);
  }, [p.value, mode]);

  const toggle = () => {
    if (mode === "text") {
      const source = typeof p.value === "string" ? p.value : "";
      setMode("json");
      setText(source);
      try {
        const parsed = source.trim() === "" ? undefined : JSON.parse(source);
        lastSent.current = parsed;
        p.onChange(parsed);
        setBad(undefined);
      } catch (e) {
        setBad((e as Error).message);
      }
    } else {
      setMode("text");
      setBad(undefined);
      const asText = p.value === undefined ? undefined : typeof p.value === "string" ? p.value : JSON.stringify(p.value);
      p.onChange(asText);
    }
  };

  return (
    <div className="any-widget">
      {mode === "text" ? (
        <TextWidget {...p} multiline={p.multiline} />
      ) : (
        <>
          <textarea
            {...aria(p)}
            aria-invalid={p.invalid || Boolean(bad) || undefined}
            aria-describedby={[p.describedBy, bad ? hintId : undefined].filter(Boolean).join(" ") || undefined}
            className="json-input"
            value={text}
            rows={Math.min(12, Math.max(2, text.split("\n").length))}
            spellCheck={false}
            placeholder={placeholderOf(p.schema) ?? "JSON, e.g. 42, true, [1, 2] or {\"a\": 1}"}
            onChange={(e) => {
              setText(e.target.value);
              if (e.target.value.trim() === "") {
                lastSent.current = undefined;
                setBad(undefined);
                return p.onChange(undefined);
              }
              try {
                const parsed = JSON.parse(e.target.value);
                lastSent.current = parsed;
                setBad(undefined);
                p.onChange(parsed);
              } catch (err) {
                setBad((err as Error).message);
              }
            }}
          />
          {bad && (
            <p id={hintId} className="field-error">
              Not valid JSON yet: {bad}
            </p>
          )}
        </>
      )}
      {!p.jsonOnly && (
        <button type="button" className="link-button small" onClick={toggle} aria-label={mode === "text" ? "Enter as JSON" : "Enter as text"}>
          {mode === "text" ? "as JSON" : "as text"}
        </button>
      )}
    </div>
  );
}

function jsonText(value: unknown): string {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}

type Row = { key: string; value: unknown; uid: number };
let rowUid = 0;

function toRows(value: unknown): Row[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value).map(([key, v]) => ({ key, value: v, uid: rowUid++ }));
}

function fromRows(rows: Row[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) if (r.key !== "" && !(r.key in out)) out[r.key] = r.value;
  return out;
}

/** An object of key → value pairs (headers, values to set…). */
export function RecordWidget(p: WidgetProps) {
  const [rows, setRows] = useState<Row[]>(() => toRows(p.value));
  const valueSchema = recordValueSchema(p.schema);
  useEffect(() => {
    setRows((current) => (JSON.stringify(fromRows(current)) === JSON.stringify(p.value ?? {}) ? current : toRows(p.value)));
  }, [p.value]);
  const commit = (next: Row[]) => {
    setRows(next);
    const out = fromRows(next);
    if (JSON.stringify(out) !== JSON.stringify(p.value ?? {})) p.onChange(out);
  };
  const dupes = new Set(rows.filter((r, i) => r.key && rows.findIndex((x) => x.key === r.key) !== i).map((r) => r.key));
  const typed = unwrap(valueSchema).schema.type;
  return (
    <div className="record" id={p.id} aria-describedby={p.describedBy} role="group">
      {rows.length === 0 && <p className="muted small">No entries.</p>}
      {rows.map((row, i) => (
        <div className="record-row" key={row.uid} data-key={row.key}>
          <input
            type="text"
            className="record-key"
            aria-label={`Key ${i + 1}`}
            aria-invalid={dupes.has(row.key) || undefined}
            placeholder="key"
            value={row.key}
            onChange={(e) => commit(rows.map((r) => (r.uid === row.uid ? { ...r, key: e.target.value } : r)))}
          />
          <div className="record-value">
            {typed === "number" || typed === "integer" ? (
              <NumberWidget id={`${p.id}-v${i}`} value={row.value} schema={valueSchema} invalid={p.invalid} onChange={(v) => commit(rows.map((r) => (r.uid === row.uid ? { ...r, value: v } : r)))} />
            ) : (
              <TextWidget id={`${p.id}-v${i}`} value={row.value} schema={valueSchema} invalid={p.invalid} onChange={(v) => commit(rows.map((r) => (r.uid === row.uid ? { ...r, value: v ?? "" } : r)))} />
            )}
          </div>
          <button type="button" className="icon-button" aria-label={`Remove ${row.key || `entry ${i + 1}`}`} onClick={() => commit(rows.filter((r) => r.uid !== row.uid))}>
            ×
          </button>
        </div>
      ))}
      {dupes.size > 0 && <p className="field-error">Each key may appear once: {[...dupes].join(", ")}</p>}
      <button type="button" className="link-button small" onClick={() => setRows([...rows, { key: "", value: "", uid: rowUid++ }])}>
        + Add entry
      </button>
    </div>
  );
}
