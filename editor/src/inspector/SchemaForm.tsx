/** A form generated from a node type's params JSON Schema, with the server's problems on each field. */
import type { JsonSchema } from "../api/types.ts";
import { issuesAt, type NodeIssue } from "../flow/issues.ts";
import { AnyWidget, BooleanWidget, EnumWidget, NumberWidget, RecordWidget, TextWidget } from "./fields.tsx";
import { fieldKind, prefersMultiline, unwrap } from "./schema.ts";

/** Props of a schema form. */
export interface SchemaFormProps {
  /** Prefix for element ids (unique per node). */
  idBase: string;
  schema: JsonSchema;
  value: Record<string, unknown>;
  /** Where these fields live in the node, e.g. ["params"]. */
  path: string[];
  issues: readonly NodeIssue[] | undefined;
  literal: readonly string[];
  onChange: (path: string[], value: unknown) => void;
}

/** The fields of an object schema. */
export function SchemaFields({ idBase, schema, value, path, issues, literal, onChange }: SchemaFormProps) {
  const s = unwrap(schema).schema;
  const properties = Object.entries(s.properties ?? {});
  const required = new Set(s.required ?? []);
  if (properties.length === 0 && !(s.additionalProperties && typeof s.additionalProperties === "object")) {
    return <p className="muted small">This node has no parameters.</p>;
  }
  return (
    <>
      {properties.map(([name, sub]) => (
        <Field
          key={name}
          idBase={idBase}
          name={name}
          schema={sub}
          value={value?.[name]}
          path={[...path, name]}
          required={required.has(name)}
          issues={issues}
          literal={path.length === 1 && literal.includes(name)}
          literalNames={literal}
          onChange={onChange}
        />
      ))}
    </>
  );
}

interface FieldProps {
  idBase: string;
  name: string;
  schema: JsonSchema;
  value: unknown;
  path: string[];
  required: boolean;
  issues: readonly NodeIssue[] | undefined;
  literal: boolean;
  literalNames: readonly string[];
  onChange: (path: string[], value: unknown) => void;
}

function Field(p: FieldProps) {
  const key = p.path.join(".");
  const id = `${p.idBase}-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const kind = fieldKind(p.name, p.schema, { literal: p.literal });
  const s = unwrap(p.schema).schema;
  const problems = issuesAt(p.issues, key);
  const describedBy = [s.description ? helpId : "", problems.length ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const set = (v: unknown) => p.onChange(p.path, v);
  const common = { id, value: p.value, schema: p.schema, onChange: set, invalid: problems.length > 0, describedBy };

  if (kind === "object") {
    const fields = (
      <>
        {s.description && (
          <p id={helpId} className="help">
            {s.description}
          </p>
        )}
        <Problems id={errorId} problems={problems.filter((i) => i.field === key)} />
        <SchemaFields
          idBase={p.idBase}
          schema={s}
          value={(p.value as Record<string, unknown>) ?? {}}
          path={p.path}
          issues={p.issues}
          literal={p.literalNames}
          onChange={p.onChange}
        />
      </>
    );
    if (!p.required) {
      // optional groups stay folded until used, so the form shows what a node needs first
      return (
        <details className="field field-object" data-field={key} open={p.value !== undefined || problems.length > 0}>
          <summary>
            <span className="field-name">{p.name}</span> <span className="muted small">(optional)</span>
          </summary>
          {fields}
          {p.value !== undefined && (
            <button type="button" className="link-button small" onClick={() => set(undefined)}>
              Remove {p.name}
            </button>
          )}
        </details>
      );
    }
    return (
      <fieldset className="field field-object" data-field={key}>
        <legend>
          {p.name}
          <span className="required" aria-label="required">
            *
          </span>
        </legend>
        {fields}
      </fieldset>
    );
  }

  return (
    <div className={`field field-${kind}${problems.length ? " field-invalid" : ""}`} data-field={key}>
      {kind !== "boolean" && (
        <label htmlFor={id} className="field-label">
          <span className="field-name">{s.title ?? p.name}</span>
          {p.required && (
            <span className="required" aria-label="required">
              *
            </span>
          )}
          {p.literal && <span className="tag">literal</span>}
        </label>
      )}
      {kind === "text" && <TextWidget {...common} />}
      {kind === "multiline" && <TextWidget {...common} multiline />}
      {kind === "number" && <NumberWidget {...common} />}
      {kind === "boolean" && <BooleanWidget {...common} label={s.title ?? p.name} />}
      {kind === "enum" && <EnumWidget {...common} required={p.required} />}
      {kind === "record" && <RecordWidget {...common} />}
      {kind === "json" && <AnyWidget {...common} jsonOnly />}
      {kind === "any" && <AnyWidget {...common} multiline={prefersMultiline(p.name, s)} />}
      {s.description && (
        <p id={helpId} className="help">
          {s.description}
        </p>
      )}
      <Problems id={errorId} problems={problems} />
    </div>
  );
}

/** The server's messages for a field. */
export function Problems({ id, problems }: { id: string; problems: readonly NodeIssue[] }) {
  if (problems.length === 0) return null;
  return (
    <ul id={id} className="field-errors" role="alert">
      {problems.map((i, n) => (
        <li key={n}>{i.short}</li>
      ))}
    </ul>
  );
}
