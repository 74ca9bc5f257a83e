import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compileFast, FALLBACK } from "./expression-fast.ts";

/** mulberry32: the same seed gives the same expressions and data. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  return { next, pick };
}

const NAMES = ["a", "b", "n", "s", "t", "list", "obj", "nul", "zero", "neg", "frac", "num", "empty", "constructor", "__proto__", "toString", "missing"];
const OPS = ["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "=", "!=", "and", "or", "&"];

function randomValue(r: ReturnType<typeof rng>, depth: number): unknown {
  const kind = r.next();
  if (kind < 0.2) return r.pick([0, 1, 2, -3, 2.5, 1e21, 0.1, 100, -0.5]);
  if (kind < 0.35) return r.pick(["", "x", "5", "Acme", "a b", "0"]);
  if (kind < 0.45) return r.pick([true, false]);
  if (kind < 0.5) return null;
  if (kind < 0.6) return r.pick([[], [1], [1, 2], ["x"], [{ n: 1 }, { n: 2 }], [[1]]]);
  if (depth <= 0) return 7;
  const obj: Record<string, unknown> = {};
  for (const name of NAMES.slice(0, 13)) if (r.next() < 0.6) obj[name] = randomValue(r, depth - 1);
  return obj;
}

function randomExpr(r: ReturnType<typeof rng>, depth: number): string {
  const kind = r.next();
  if (depth <= 0 || kind < 0.45) {
    const k = r.next();
    if (k < 0.7) {
      const steps = [r.pick(["input", "nodes", "run", ...NAMES])];
      const more = Math.floor(r.next() * 4);
      for (let i = 0; i < more; i++) steps.push(r.pick(NAMES));
      return steps.map((s) => (/^[a-z_]\w*$/i.test(s) ? s : `\`${s}\``)).join(".");
    }
    return r.pick(["1", "0", "2.5", "100", "'x'", '"5"', "''", "true", "false", "null"]);
  }
  if (kind < 0.85) return `${randomExpr(r, depth - 1)} ${r.pick(OPS)} ${randomExpr(r, depth - 1)}`;
  if (kind < 0.93) return `(${randomExpr(r, depth - 1)})`;
  return r.next() < 0.5
    ? `${randomExpr(r, depth - 1)} ? ${randomExpr(r, depth - 1)} : ${randomExpr(r, depth - 1)}`
    : `${randomExpr(r, depth - 1)} ? ${randomExpr(r, depth - 1)}`;
}

describe("the fast expression path", () => {
  it("answers only what JSONata answers, and the same (seeded random expressions and data)", async () => {
    const seed = 20261124;
    const r = rng(seed);
    let answered = 0;
    let compared = 0;
    for (let i = 0; i < 3000; i++) {
      const source = randomExpr(r, 3);
      const scope = { input: randomValue(r, 3), nodes: randomValue(r, 3), run: { id: "r-1", startedAt: "2026-01-01" }, ...(randomValue(r, 2) as object) };
      let expr: ReturnType<typeof jsonata>;
      try {
        expr = jsonata(source);
      } catch {
        continue; // the grammar can make text JSONata refuses; not what is tested here
      }
      const fast = compileFast(expr.ast());
      if (!fast) continue;
      compared++;
      const quick = fast(scope);
      if (quick === FALLBACK) continue;
      answered++;
      let slow: unknown;
      try {
        slow = await expr.evaluate(scope);
      } catch (e) {
        throw new Error(`seed ${seed} #${i}: {{ ${source} }} gave ${JSON.stringify(quick)} fast, but JSONata failed: ${(e as Error).message}\nscope: ${JSON.stringify(scope)}`);
      }
      expect(quick, `seed ${seed} #${i}: {{ ${source} }} over ${JSON.stringify(scope)}`).toStrictEqual(slow);
    }
    // most plain expressions take the fast path; the rest fall back
    expect(compared).toBeGreaterThan(1500);
    expect(answered).toBeGreaterThan(600);
  });

  it("takes the forms real params use", () => {
    const scope = { input: { start: 5, client: "Acme", amount: 250 }, nodes: { n3: { output: { count: 9 } }, charge: { output: { body: { id: "ch_1", amount: 25000 } } } } };
    const fast = (s: string) => compileFast(jsonata(s).ast())?.(scope);
    expect(fast("input.start")).toBe(5);
    expect(fast("nodes.n3.output.count + 1")).toBe(10);
    expect(fast("input.amount * 100")).toBe(25000);
    expect(fast("nodes.charge.output.body.amount >= 10000")).toBe(true);
    expect(fast("'Order ' & input.client")).toBe("Order Acme");
    expect(fast("(input.start + 1) * 2")).toBe(12);
    expect(fast("nodes.missing.output")).toBeUndefined();
    // not plain: left to JSONata
    expect(compileFast(jsonata("$uppercase(input.client)").ast())).toBeUndefined();
    expect(compileFast(jsonata("input.items[0]").ast())).toBeUndefined();
    expect(fast("input.constructor")).toBe(FALLBACK);
  });
});
