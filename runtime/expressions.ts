/**
 * `{{ ... }}` expressions in params, evaluated with JSONata (no eval, no Function).
 * A value that is exactly one `{{ }}` keeps the result's type; mixed text interpolates.
 * Params are compiled once per flow into a tree that evaluates without re-parsing.
 */
import jsonata from "jsonata";
import { ValidationError } from "./errors.ts";
import { compileFast, FALLBACK, type FastExpr } from "./expression-fast.ts";

/** What expressions can see: the run input, finished nodes' outputs, and the run. */
export interface ExpressionScope {
  input: unknown;
  nodes: Record<string, { output: unknown }>;
  run: { id: string; startedAt: string };
}

type Expr = ReturnType<typeof jsonata>;

/** A compiled params value. */
export type Compiled =
  | { k: "static"; value: unknown }
  | { k: "expr"; expr: Expr; fast?: FastExpr; source: string; path: string }
  | { k: "text"; parts: Array<string | { expr: Expr; fast?: FastExpr; source: string }>; path: string }
  | { k: "object"; entries: Array<[string, Compiled]> }
  | { k: "array"; items: Compiled[] };

const MAX_DEPTH = 500;
const MAX_MS = 1000;

/** A `{{ }}` found in a string: its source and where it sits. */
interface Piece {
  source: string;
  start: number;
  end: number;
}

/** Finds the `{{ }}` in a string, skipping `}}` inside JSONata string literals. */
export function findExpressions(text: string, where: string): Piece[] {
  const pieces: Piece[] = [];
  let i = text.indexOf("{{");
  while (i !== -1) {
    let j = i + 2;
    let quote: string | null = null;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'" || c === "`") quote = c;
      else if (c === "}" && text[j + 1] === "}") break;
    }
    if (j >= text.length) throw new ValidationError(`${where}: "{{" at character ${i + 1} is never closed with "}}"`);
    const source = text.slice(i + 2, j).trim();
    if (!source) throw new ValidationError(`${where}: empty expression "{{ }}" at character ${i + 1}`);
    pieces.push({ source, start: i, end: j + 2 });
    i = text.indexOf("{{", j + 2);
  }
  return pieces;
}

function compileExpr(source: string, where: string): Expr {
  try {
    // JSONata has recursion but no loop limit: its guardrails bound every evaluation's depth and time
    return jsonata(source, { stack: MAX_DEPTH, timeout: MAX_MS });
  } catch (e) {
    const err = e as { message?: string; position?: number };
    const at = err.position === undefined ? "" : ` (at character ${err.position})`;
    throw new ValidationError(`${where}: expression {{ ${source} }} does not parse: ${err.message ?? String(e)}${at}`);
  }
}

/**
 * Compiles a params value. `path` names it in errors (`node "x" params.url`).
 * `literal` lists top-level keys whose text is left as is.
 */
export function compileParams(value: unknown, path: string, literal: readonly string[] = []): Compiled {
  return compile(value, path, new Set(literal), true);
}

function compile(value: unknown, path: string, literal: ReadonlySet<string>, top: boolean): Compiled {
  if (typeof value === "string") {
    if (!value.includes("{{")) return { k: "static", value };
    const pieces = findExpressions(value, path);
    if (pieces.length === 1 && pieces[0].start === 0 && pieces[0].end === value.length) {
      const expr = compileExpr(pieces[0].source, path);
      return { k: "expr", expr, fast: compileFast(expr.ast()), source: pieces[0].source, path };
    }
    const parts: Array<string | { expr: Expr; fast?: FastExpr; source: string }> = [];
    let at = 0;
    for (const p of pieces) {
      if (p.start > at) parts.push(value.slice(at, p.start));
      const expr = compileExpr(p.source, path);
      parts.push({ expr, fast: compileFast(expr.ast()), source: p.source });
      at = p.end;
    }
    if (at < value.length) parts.push(value.slice(at));
    return { k: "text", parts, path };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compile(v, `${path}[${i}]`, literal, false));
    return items.every((c) => c.k === "static") ? { k: "static", value } : { k: "array", items };
  }
  if (value !== null && typeof value === "object") {
    const entries: Array<[string, Compiled]> = Object.entries(value).map(([key, v]) => [
      key,
      top && literal.has(key) ? { k: "static", value: v } : compile(v, `${path}.${key}`, literal, false),
    ]);
    return entries.every(([, c]) => c.k === "static") ? { k: "static", value } : { k: "object", entries };
  }
  return { k: "static", value };
}

/** True when the compiled value holds at least one expression. */
export function isDynamic(c: Compiled): boolean {
  return c.k !== "static";
}

/**
 * Evaluates a compiled params value against a scope. Errors name the param path and expression.
 * Returns the value itself when every expression in it took the fast path, else a promise of it.
 */
export function evaluate(c: Compiled, scope: ExpressionScope): unknown {
  const quick = evaluateFast(c, scope);
  return quick === FALLBACK ? evaluateFully(c, scope) : quick;
}

/** The value, when every expression in it has a fast-path answer; FALLBACK otherwise. */
function evaluateFast(c: Compiled, scope: ExpressionScope): unknown {
  switch (c.k) {
    case "static":
      return c.value;
    case "expr":
      return c.fast ? c.fast(scope) : FALLBACK;
    case "text": {
      let out = "";
      for (const part of c.parts) {
        if (typeof part === "string") out += part;
        else {
          const v = part.fast ? part.fast(scope) : FALLBACK;
          if (v === FALLBACK) return FALLBACK;
          out += toText(v);
        }
      }
      return out;
    }
    case "array": {
      const out: unknown[] = [];
      for (const item of c.items) {
        const v = evaluateFast(item, scope);
        if (v === FALLBACK) return FALLBACK;
        out.push(v);
      }
      return out;
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, item] of c.entries) {
        const v = evaluateFast(item, scope);
        if (v === FALLBACK) return FALLBACK;
        out[key] = v;
      }
      return out;
    }
  }
}

async function evaluateFully(c: Compiled, scope: ExpressionScope): Promise<unknown> {
  switch (c.k) {
    case "static":
      return c.value;
    case "expr":
      return run(c.expr, c.fast, c.source, c.path, scope);
    case "text": {
      let out = "";
      for (const part of c.parts) {
        out += typeof part === "string" ? part : toText(await run(part.expr, part.fast, part.source, c.path, scope));
      }
      return out;
    }
    case "array": {
      const out: unknown[] = [];
      for (const item of c.items) out.push(await evaluateFully(item, scope));
      return out;
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, v] of c.entries) out[key] = await evaluateFully(v, scope);
      return out;
    }
  }
}

async function run(expr: Expr, fast: FastExpr | undefined, source: string, path: string, scope: ExpressionScope): Promise<unknown> {
  const quick = fast ? fast(scope) : FALLBACK;
  if (quick !== FALLBACK) return quick;
  let result: unknown;
  try {
    result = await expr.evaluate(scope);
  } catch (e) {
    const msg = (e as { message?: string })?.message ?? String(e);
    throw new ValidationError(`${path}: expression {{ ${source} }} failed: ${msg}`);
  }
  return plain(result, path, source);
}

/** JSONata sequences are arrays with extra flags; functions cannot leave an expression. */
function plain(value: unknown, path: string, source: string): unknown {
  if (typeof value === "function" || isJsonataFunction(value)) {
    throw new ValidationError(`${path}: expression {{ ${source} }} produced a function, not a value`);
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, path, source));
  return value;
}

/** JSONata functions and lambdas are plain objects flagged like this (a lambda holds its whole scope). */
function isJsonataFunction(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return v._jsonata_lambda === true || v._jsonata_function === true;
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
