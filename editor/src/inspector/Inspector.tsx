/** The inspector: the selected node's parameters and policy, or the flow's settings when none is selected. */
import { memo, useCallback } from "react";
import type { JsonSchema, NodeTypeInfo } from "../api/types.ts";
import type { KeelNode } from "../flow/convert.ts";
import { issuesAt, type NodeIssue } from "../flow/issues.ts";
import { NumberWidget } from "./fields.tsx";
import { Problems, SchemaFields } from "./SchemaForm.tsx";

/** Props of the node inspector. */
export interface NodeInspectorProps {
  node: KeelNode;
  info: NodeTypeInfo | undefined;
  issues: readonly NodeIssue[] | undefined;
  /** Sets a value at a path of the node's data (undefined removes it); `coalesce` joins keystrokes into one undo step. */
  onChange: (nodeId: string, path: string[], value: unknown) => void;
}

const ATTEMPTS: JsonSchema = { type: "integer", minimum: 1, maximum: 100, default: 1 };
const BACKOFF: JsonSchema = { type: "integer", minimum: 0, default: 1000 };
const MAX_DELAY: JsonSchema = { type: "integer", minimum: 0, default: 60000 };
const TIMEOUT: JsonSchema = { type: "integer", minimum: 1 };

export const NodeInspector = memo(function NodeInspector({ node, info, issues, onChange }: NodeInspectorProps) {
  const id = node.id;
  const d = node.data;
  const set = useCallback((path: string[], value: unknown) => onChange(id, path, value), [onChange, id]);
  const idBase = `f-${id}`;
  const general = (issues ?? []).filter((i) => i.field === "" || i.field === "params" || i.field === "type" || i.field === "id");
  return (
    <div className="inspector-node" data-node-id={id}>
      <header className="inspector-head">
        <h2>{d.name || info?.title || d.type}</h2>
        <p className="muted small">
          <code>{id}</code> · <code>{d.type}</code>
          {info && <> · {info.kind}</>}
        </p>
        {info?.description && <p className="help">{info.description}</p>}
        {!info && <p className="field-error">This node type is not known to the server: the flow cannot run until it is replaced.</p>}
        <Problems id={`${idBase}-general`} problems={general} />
      </header>

      <div className="field" data-field="name">
        <label htmlFor={`${idBase}-name`} className="field-label">
          Label
        </label>
        <input
          id={`${idBase}-name`}
          type="text"
          value={d.name ?? ""}
          placeholder={info?.title ?? d.type}
          maxLength={200}
          onChange={(e) => set(["name"], e.target.value === "" ? undefined : e.target.value)}
        />
      </div>

      <section className="inspector-section" aria-label="Parameters">
        <h3>Parameters</h3>
        <p className="muted small">
          Text fields take <code>{"{{ expressions }}"}</code>: <code>{"{{ input.x }}"}</code>, <code>{"{{ nodes.<id>.output.y }}"}</code>.
        </p>
        {info ? (
          <SchemaFields idBase={idBase} schema={info.params} value={d.params} path={["params"]} issues={issues} literal={info.literalParams} onChange={set} />
        ) : (
          <pre className="json-view">{JSON.stringify(d.params, null, 2)}</pre>
        )}
      </section>

      <section className="inspector-section" aria-label="Policy">
        <h3>When it fails</h3>
        <div className="field-grid">
          <PolicyField label="Attempts" idBase={idBase} path={["retry", "attempts"]} schema={ATTEMPTS} value={d.retry?.attempts} issues={issues} set={set} />
          <PolicyField label="Backoff (ms)" idBase={idBase} path={["retry", "backoffMs"]} schema={BACKOFF} value={d.retry?.backoffMs} issues={issues} set={set} />
          <PolicyField label="Max delay (ms)" idBase={idBase} path={["retry", "maxDelayMs"]} schema={MAX_DELAY} value={d.retry?.maxDelayMs} issues={issues} set={set} />
          <PolicyField label="Timeout (ms)" idBase={idBase} path={["timeoutMs"]} schema={TIMEOUT} value={d.timeoutMs} issues={issues} set={set} />
        </div>
        <div className="field" data-field="onError">
          <label htmlFor={`${idBase}-onError`} className="field-label">
            On error
          </label>
          <select id={`${idBase}-onError`} value={d.onError ?? "fail"} onChange={(e) => set(["onError"], e.target.value === "fail" ? undefined : e.target.value)}>
            <option value="fail">fail the run</option>
            <option value="continue">continue (downstream sees the error)</option>
          </select>
          <Problems id={`${idBase}-onError-error`} problems={issuesAt(issues, "onError")} />
        </div>
      </section>
    </div>
  );
});

function PolicyField(p: { label: string; idBase: string; path: string[]; schema: JsonSchema; value: unknown; issues: readonly NodeIssue[] | undefined; set: (path: string[], v: unknown) => void }) {
  const key = p.path.join(".");
  const id = `${p.idBase}-${key.replace(/\./g, "_")}`;
  const problems = issuesAt(p.issues, key);
  return (
    <div className={`field${problems.length ? " field-invalid" : ""}`} data-field={key}>
      <label htmlFor={id} className="field-label">
        {p.label}
      </label>
      <NumberWidget id={id} value={p.value} schema={p.schema} invalid={problems.length > 0} describedBy={problems.length ? `${id}-error` : undefined} onChange={(v) => p.set(p.path, v)} />
      <Problems id={`${id}-error`} problems={problems} />
    </div>
  );
}
