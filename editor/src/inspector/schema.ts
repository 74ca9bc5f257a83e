/** Reading the node types' JSON Schemas (as zod writes them) to decide which field to draw. */
import type { JsonSchema } from "../api/types.ts";

/** The kinds of field the inspector draws. */
export type FieldKind = "text" | "multiline" | "number" | "boolean" | "enum" | "record" | "object" | "json" | "any";

/** Names of params that hold prose or code: drawn as multi-line text. */
const MULTILINE_NAME = /prompt|code|script|template|text|body|content|message|system|instructions|html|markdown|proposal|note/i;

/** A schema with `anyOf`/`oneOf` of one real option and null unwrapped; `nullable` says null was allowed. */
export function unwrap(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const options = schema.anyOf ?? schema.oneOf;
  if (!options) return { schema, nullable: false };
  const real = options.filter((o) => o.type !== "null");
  if (real.length === 1) return { schema: { ...real[0], description: schema.description ?? real[0].description, default: schema.default ?? real[0].default }, nullable: real.length !== options.length };
  const consts = real.filter((o) => o.const !== undefined);
  if (consts.length === real.length) return { schema: { ...schema, enum: consts.map((o) => o.const) }, nullable: real.length !== options.length };
  return { schema, nullable: real.length !== options.length };
}

/** Which field draws a param. */
export function fieldKind(name: string, raw: JsonSchema, options: { literal?: boolean } = {}): FieldKind {
  const { schema } = unwrap(raw);
  if (schema.enum && schema.enum.every((v) => typeof v === "string" || typeof v === "number")) return "enum";
  if (schema.const !== undefined) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.filter((t) => t !== "null") : schema.type;
  if (Array.isArray(type)) return type.length === 1 ? fieldKind(name, { ...schema, type: type[0] }, options) : "any";
  switch (type) {
    case "string":
      return options.literal || MULTILINE_NAME.test(name) || schema.format === "multiline" || schema.format === "textarea" || (schema.maxLength ?? 0) > 500 ? "multiline" : "text";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      if (schema.properties && Object.keys(schema.properties).length) return "object";
      // a JSON Schema (or any nested document) reads better as JSON than as key/value rows
      if (/schema/i.test(name) || /json schema/i.test(schema.description ?? "")) return "json";
      return "record";
    case "array":
      return "json";
    default:
      if (options.literal) return "multiline";
      return "any";
  }
}

/** The schema of a record's values (`{}` = anything). */
export function recordValueSchema(schema: JsonSchema): JsonSchema {
  const ap = unwrap(schema).schema.additionalProperties;
  return ap && typeof ap === "object" ? ap : {};
}

/** Whether a param's name or description says it takes prose (drawn multi-line even when typed "any"). */
export function prefersMultiline(name: string, schema: JsonSchema): boolean {
  return MULTILINE_NAME.test(name) || /multi-?line|prompt|template/i.test(schema.description ?? "");
}

/** A short text for a default value, shown as the field's placeholder. */
export function describeDefault(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  const text = JSON.stringify(value);
  return text === "{}" || text === "[]" ? undefined : text;
}

/** True when the text holds a `{{ }}` expression. */
export function hasExpression(value: unknown): boolean {
  return typeof value === "string" && /\{\{[\s\S]*\}\}/.test(value);
}
