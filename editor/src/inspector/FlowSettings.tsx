/** The flow's own settings, shown when no node is selected: name, description, input schema, failure policy. */
import type { FlowIssue, JsonSchema } from "../api/types.ts";
import type { FlowMeta } from "../flow/convert.ts";
import { AnyWidget, NumberWidget } from "./fields.tsx";

const ANY: JsonSchema = {};
const CONCURRENCY: JsonSchema = { type: "integer", minimum: 1, maximum: 64 };

/** Props of the flow settings. */
export interface FlowSettingsProps {
  meta: FlowMeta;
  issues: readonly FlowIssue[];
  selectedCount: number;
  onChange: (key: string, value: unknown) => void;
}

export function FlowSettings({ meta, issues, selectedCount, onChange }: FlowSettingsProps) {
  const at = (prefix: string) => issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`));
  return (
    <div className="inspector-flow">
      <header className="inspector-head">
        <h2>Flow settings</h2>
        <p className="muted small">
          {selectedCount > 1 ? `${selectedCount} nodes selected. ` : ""}Select a single node to edit its parameters.
        </p>
      </header>
      {issues.length > 0 && (
        <ul className="field-errors" role="alert" aria-label="Problems with the flow">
          {issues.map((i, n) => (
            <li key={n}>{i.message}</li>
          ))}
        </ul>
      )}
      <div className="field" data-field="id">
        <span className="field-label">Id</span>
        <code className="readonly">{meta.id}</code>
      </div>
      <div className="field" data-field="description">
        <label htmlFor="flow-description" className="field-label">
          Description
        </label>
        <textarea id="flow-description" rows={3} value={meta.description ?? ""} onChange={(e) => onChange("description", e.target.value || undefined)} />
      </div>
      <div className={`field${at("input").length ? " field-invalid" : ""}`} data-field="input">
        <label htmlFor="flow-input-schema" className="field-label">
          Input schema (JSON Schema)
        </label>
        <AnyWidget id="flow-input-schema" value={meta.input} schema={ANY} jsonOnly invalid={at("input").length > 0} onChange={(v) => onChange("input", v)} />
        <p className="help">What a run's input must look like; the Run panel checks it before starting.</p>
      </div>
      <div className="field" data-field="onFailure">
        <label htmlFor="flow-on-failure" className="field-label">
          When a run fails
        </label>
        <select id="flow-on-failure" value={meta.onFailure ?? "fail"} onChange={(e) => onChange("onFailure", e.target.value === "fail" ? undefined : e.target.value)}>
          <option value="fail">stop</option>
          <option value="compensate">undo finished actions (compensate)</option>
        </select>
      </div>
      <div className="field" data-field="concurrency">
        <label htmlFor="flow-concurrency" className="field-label">
          Nodes at once (per run)
        </label>
        <NumberWidget id="flow-concurrency" value={meta.concurrency} schema={CONCURRENCY} invalid={at("concurrency").length > 0} onChange={(v) => onChange("concurrency", v)} />
      </div>
    </div>
  );
}
