/** A proposal shown for a decision, and the same proposal as a form for edit-and-approve. */
import { useState } from "react";

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function ValueText({ value }: { value: unknown }) {
  if (typeof value === "string") return <div className="proposal-text">{value}</div>;
  return <pre className="json-view">{JSON.stringify(value, null, 2)}</pre>;
}

/** The proposal, field by field. */
export function ProposalView({ proposal }: { proposal: unknown }) {
  if (!isRecord(proposal)) return <ValueText value={proposal} />;
  const entries = Object.entries(proposal);
  if (entries.length === 0) return <p className="muted">An empty proposal.</p>;
  return (
    <dl className="proposal-fields">
      {entries.map(([k, v]) => (
        <div key={k} className="proposal-field">
          <dt>{k}</dt>
          <dd>
            <ValueText value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Props of the proposal editor. */
export interface ProposalEditorProps {
  proposal: unknown;
  /** Changed fields only (`{ value }` for a proposal that is not an object). */
  edits: Record<string, unknown>;
  onEdits: (edits: Record<string, unknown>) => void;
}

/** Edit-and-approve: each field of the proposal as an input; only changed fields are sent. */
export function ProposalEditor({ proposal, edits, onEdits }: ProposalEditorProps) {
  const fields: Array<[string, unknown]> = isRecord(proposal) ? Object.entries(proposal) : [["value", proposal]];
  return (
    <div className="proposal-editor">
      {fields.map(([key, original], i) => (
        <FieldEditor
          key={key}
          name={key}
          original={original}
          value={key in edits ? edits[key] : original}
          autoFocus={i === 0}
          onChange={(v, changed) => {
            const next = { ...edits };
            if (changed) next[key] = v;
            else delete next[key];
            onEdits(next);
          }}
        />
      ))}
    </div>
  );
}

function FieldEditor(p: { name: string; original: unknown; value: unknown; autoFocus: boolean; onChange: (value: unknown, changed: boolean) => void }) {
  const asText = typeof p.original === "string";
  const [text, setText] = useState(() => (asText ? String(p.value ?? "") : JSON.stringify(p.value, null, 2)));
  const [bad, setBad] = useState<string | undefined>();
  const id = `edit-${p.name}`;
  const rows = Math.min(12, Math.max(asText ? 1 : 2, text.split("\n").length + (text.length > 60 ? 1 : 0)));
  return (
    <div className="field" data-field={`proposal.${p.name}`}>
      <label htmlFor={id} className="field-label">
        <span className="field-name">{p.name}</span>
        {!asText && <span className="tag">JSON</span>}
      </label>
      <textarea
        id={id}
        className={asText ? undefined : "json-input"}
        rows={rows}
        value={text}
        autoFocus={p.autoFocus}
        spellCheck={asText}
        aria-invalid={Boolean(bad) || undefined}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (asText) return p.onChange(t, t !== p.original);
          try {
            const v = JSON.parse(t);
            setBad(undefined);
            p.onChange(v, JSON.stringify(v) !== JSON.stringify(p.original));
          } catch (err) {
            setBad((err as Error).message);
          }
        }}
      />
      {bad && <p className="field-error">Not valid JSON yet: {bad}</p>}
    </div>
  );
}
