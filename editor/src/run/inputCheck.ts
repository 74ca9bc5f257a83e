/**
 * A quick check of a run's input against the flow's input schema, so that mistakes show while
 * typing. It covers the common keywords (type, required, properties, items, enum, bounds); the
 * server checks the whole schema when the run starts and its message is shown too.
 */
import type { JsonSchema } from "../api/types.ts";

/** Parses the input text; returns the value or the problems found. */
export function checkInput(text: string, schema: JsonSchema | undefined): { value?: unknown; problems: string[] } {
  let value: unknown;
  if (text.trim() === "") value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { problems: [`not valid JSON: ${(e as Error).message}`] };
    }
  }
  const problems: string[] = [];
  if (schema) check(value, schema, "input", problems);
  return { value, problems };
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function check(v: unknown, s: JsonSchema, at: string, out: string[]): void {
  if (out.length >= 20 || typeof s !== "object" || s === null) return;
  const types = s.type === undefined ? undefined : Array.isArray(s.type) ? s.type : [s.type];
  const t = typeOf(v);
  if (types && !types.some((x) => x === t || (x === "number" && t === "integer"))) {
    out.push(`${at}: should be ${types.join(" or ")}, got ${t}`);
    return;
  }
  if (s.enum && !s.enum.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(`${at}: should be one of ${s.enum.map((x) => JSON.stringify(x)).join(", ")}`);
  if (typeof v === "number") {
    if (typeof s.minimum === "number" && v < s.minimum) out.push(`${at}: should be at least ${s.minimum}`);
    if (typeof s.maximum === "number" && v > s.maximum) out.push(`${at}: should be at most ${s.maximum}`);
  }
  if (typeof v === "string") {
    if (typeof s.minLength === "number" && v.length < s.minLength) out.push(`${at}: should have at least ${s.minLength} characters`);
    if (typeof s.maxLength === "number" && v.length > s.maxLength) out.push(`${at}: should have at most ${s.maxLength} characters`);
  }
  if (t === "object") {
    const obj = v as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in obj)) out.push(`${at}.${key}: is required`);
    for (const [key, sub] of Object.entries(s.properties ?? {})) if (key in obj) check(obj[key], sub, `${at}.${key}`, out);
    if (s.additionalProperties === false) {
      for (const key of Object.keys(obj)) if (!(key in (s.properties ?? {}))) out.push(`${at}.${key}: is not expected here`);
    }
  }
  if (t === "array" && s.items && typeof s.items === "object") (v as unknown[]).forEach((x, i) => check(x, s.items!, `${at}[${i}]`, out));
}

/** A starting input for a schema: its example values, defaults, or empty values by type. */
export function sampleInput(schema: JsonSchema | undefined): unknown {
  if (!schema || typeof schema !== "object") return {};
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return "";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, sub]) => [k, sampleInput(sub)]));
  }
}
