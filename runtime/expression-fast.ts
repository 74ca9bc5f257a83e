/**
 * A fast path for the simplest `{{ }}` expressions: field paths (`nodes.a.output.n`), literals,
 * arithmetic, comparisons, `and`/`or`, `&`, `? :` and parentheses over plain values. JSONata's evaluator
 * allocates about 10 KB per evaluation and always goes through promises; these cover most
 * params of real flows at a small fraction of that. Whenever a value is anything but the plain
 * case (an array, a function, a mixed-type operand, an inherited property, a non-finite number),
 * the fast path answers FALLBACK and JSONata evaluates the expression as usual, so results are
 * always JSONata's (runtime/expression-fast.test.ts compares both on random data).
 */

/** The fast path cannot answer this evaluation: ask JSONata. */
export const FALLBACK: unique symbol = Symbol("fallback");

/** An expression compiled for the fast path. */
export type FastExpr = (scope: unknown) => unknown;

type Node = Record<string, unknown> & { type?: unknown; value?: unknown };

/** Compiles a JSONata AST for the fast path; undefined when it uses anything beyond the plain forms. */
export function compileFast(ast: unknown): FastExpr | undefined {
  if (ast === null || typeof ast !== "object") return undefined;
  const node = ast as Node;
  switch (node.type) {
    case "path":
      return onlyKeys(node, PATH_KEYS) ? path(node.steps) : undefined;
    case "number":
    case "string":
    case "value": {
      if (!onlyKeys(node, LEAF_KEYS)) return undefined;
      const value = node.value;
      return () => value;
    }
    case "binary":
      return onlyKeys(node, BINARY_KEYS) ? binary(String(node.value), compileFast(node.lhs), compileFast(node.rhs)) : undefined;
    case "condition":
      return onlyKeys(node, CONDITION_KEYS) ? condition(node) : undefined;
    case "block": {
      // parentheses around one expression: its value (a block of several binds variables)
      const inner = node.expressions;
      return onlyKeys(node, BLOCK_KEYS) && Array.isArray(inner) && inner.length === 1 ? compileFast(inner[0]) : undefined;
    }
    default:
      return undefined;
  }
}

const PATH_KEYS = new Set(["type", "steps"]);
const LEAF_KEYS = new Set(["type", "value", "position"]);
const BINARY_KEYS = new Set(["type", "value", "position", "lhs", "rhs"]);
const CONDITION_KEYS = new Set(["type", "position", "condition", "then", "else"]);
const BLOCK_KEYS = new Set(["type", "position", "expressions"]);

function onlyKeys(node: Node, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(node)) if (!allowed.has(key)) return false;
  return true;
}

function path(steps: unknown): FastExpr | undefined {
  if (!Array.isArray(steps) || steps.length === 0) return undefined;
  const names: string[] = [];
  for (const step of steps as Node[]) {
    // a bare field name: no predicate, filter, sort, index, focus or group on it
    if (step?.type !== "name" || typeof step.value !== "string" || !onlyKeys(step, LEAF_KEYS)) return undefined;
    names.push(step.value);
  }
  return (scope) => {
    let at: unknown = scope;
    for (const name of names) {
      if (Array.isArray(at)) return FALLBACK; // JSONata maps over arrays
      if (at === null || typeof at !== "object") return undefined;
      if (!Object.hasOwn(at, name)) return name in at ? FALLBACK : undefined; // inherited: JSONata sees it
      at = (at as Record<string, unknown>)[name];
      if (at === undefined) return undefined;
    }
    return Array.isArray(at) || typeof at === "function" ? FALLBACK : at;
  };
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function binary(op: string, lhs: FastExpr | undefined, rhs: FastExpr | undefined): FastExpr | undefined {
  if (!lhs || !rhs) return undefined;
  switch (op) {
    case "+":
    case "-":
    case "*":
    case "/":
    case "%":
      return (scope) => {
        const a = lhs(scope);
        const b = rhs(scope);
        if (a === FALLBACK || b === FALLBACK) return FALLBACK;
        if (a === undefined || b === undefined) return (a === undefined || finite(a)) && (b === undefined || finite(b)) ? undefined : FALLBACK;
        if (!finite(a) || !finite(b)) return FALLBACK;
        const r = op === "+" ? a + b : op === "-" ? a - b : op === "*" ? a * b : op === "/" ? a / b : a % b;
        return finite(r) ? r : FALLBACK;
      };
    case "<":
    case "<=":
    case ">":
    case ">=":
      return (scope) => {
        const a = lhs(scope);
        const b = rhs(scope);
        if (!((finite(a) && finite(b)) || (typeof a === "string" && typeof b === "string"))) return FALLBACK;
        return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
      };
    case "=":
    case "!=":
      return (scope) => {
        const a = lhs(scope);
        const b = rhs(scope);
        if (!primitive(a) || !primitive(b)) return FALLBACK;
        return op === "=" ? a === b : a !== b;
      };
    case "and":
    case "or":
      return (scope) => {
        const a = lhs(scope);
        if (typeof a !== "boolean") return FALLBACK;
        if (op === "and" ? !a : a) return a; // JSONata does not look at the right side either
        const b = rhs(scope);
        return typeof b === "boolean" ? b : FALLBACK;
      };
    case "&":
      return (scope) => {
        const a = lhs(scope);
        const b = rhs(scope);
        if (!(a === undefined || typeof a === "string") || !(b === undefined || typeof b === "string")) return FALLBACK;
        return (a ?? "") + (b ?? "");
      };
    default:
      return undefined;
  }
}

function primitive(v: unknown): v is string | number | boolean {
  return typeof v === "string" || typeof v === "boolean" || finite(v);
}

function condition(node: Node): FastExpr | undefined {
  const test = compileFast(node.condition);
  const then = compileFast(node.then);
  const otherwise = node.else === undefined ? () => undefined : compileFast(node.else);
  if (!test || !then || !otherwise) return undefined;
  return (scope) => {
    const t = test(scope);
    if (typeof t !== "boolean") return FALLBACK;
    return t ? then(scope) : otherwise(scope);
  };
}
