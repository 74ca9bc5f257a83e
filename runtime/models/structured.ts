/**
 * Structured output: a JSON Schema compiled once (zod's fromJSONSchema), answers parsed out of
 * model text (code fences and chatter around the JSON tolerated) and checked against it.
 */
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import type { JsonSchema } from "./types.ts";

/** A compiled schema: checks a value, returning it or a readable list of problems. */
export interface SchemaCheck {
  check(value: unknown): { ok: true; value: unknown } | { ok: false; error: string };
}

const compiled = new WeakMap<object, SchemaCheck>();

/** Compiles a JSON Schema; a schema that does not compile is a ValidationError naming `where`. */
export function compileSchema(schema: JsonSchema, where = "schema"): SchemaCheck {
  const known = compiled.get(schema);
  if (known) return known;
  let zod: z.ZodType;
  try {
    zod = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (e) {
    throw new ValidationError(`${where} is not a usable JSON Schema: ${(e as Error).message}`);
  }
  const out: SchemaCheck = {
    check(value) {
      const r = zod.safeParse(value);
      if (r.success) return { ok: true, value: r.data };
      const error = r.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
        .join("; ");
      return { ok: false, error };
    },
  };
  compiled.set(schema, out);
  return out;
}

/** True when `schema` compiles (for zod refinements of node params). */
export function isUsableSchema(schema: unknown): boolean {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return false;
  try {
    compileSchema(schema as JsonSchema);
    return true;
  } catch {
    return false;
  }
}

/** Finds the JSON in a model's answer: the whole text, a fenced block, or the outermost {...} / [...]. */
export function parseJsonAnswer(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const candidates = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence) candidates.push(fence[1].trim());
  for (const [open, close] of [["{", "}"], ["[", "]"]]) {
    const a = text.indexOf(open);
    const b = text.lastIndexOf(close);
    if (a !== -1 && b > a) candidates.push(text.slice(a, b + 1));
  }
  let error = "the answer is empty";
  for (const c of candidates) {
    if (!c) continue;
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (e) {
      error = `the answer is not valid JSON (${(e as Error).message})`;
    }
  }
  return { ok: false, error };
}

/** Parses (unless already structured) and checks an answer against a compiled schema. */
export function checkAnswer(schema: SchemaCheck, answer: { text: string; value?: unknown }): { ok: true; value: unknown } | { ok: false; error: string } {
  const parsed = answer.value !== undefined ? { ok: true as const, value: answer.value } : parseJsonAnswer(answer.text);
  if (!parsed.ok) return parsed;
  const checked = schema.check(parsed.value);
  return checked.ok ? checked : { ok: false, error: `the answer does not match the schema: ${checked.error}` };
}
