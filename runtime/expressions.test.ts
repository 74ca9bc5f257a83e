import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileParams, evaluate, findExpressions, type ExpressionScope } from "./expressions.ts";

const scope: ExpressionScope = {
  input: { client: "Acme", amount: 5000, tags: ["a", "b"], nested: { deep: { x: 1 } } },
  nodes: { greet: { output: { text: "Hello", n: 3 } } },
  run: { id: "r-20260101-000000-0000000000", startedAt: "2026-01-01T00:00:00.000Z" },
};

const ev = (value: unknown, where = 'node "n" params') => evaluate(compileParams(value, where), scope);

async function failure(value: unknown, where?: string): Promise<Error> {
  try {
    await ev(value, where);
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the expression to fail");
}

describe("expressions", () => {
  it("keeps the type of a value that is exactly one {{ }}", async () => {
    expect(await ev("{{ input.amount }}")).toBe(5000);
    expect(await ev("{{ input.amount > 1000 }}")).toBe(true);
    expect(await ev("{{input.nested}}")).toEqual({ deep: { x: 1 } });
    expect(await ev("{{ input.tags }}")).toEqual(["a", "b"]);
    expect(Array.isArray(await ev("{{ input.tags }}"))).toBe(true);
    expect(await ev("  {{ input.amount }}")).toBe("  5000"); // not exactly one: text
  });

  it("interpolates mixed text", async () => {
    expect(await ev("Dear {{ input.client }}, you owe {{ input.amount }}.")).toBe("Dear Acme, you owe 5000.");
    expect(await ev("obj: {{ input.nested }}")).toBe('obj: {"deep":{"x":1}}');
    expect(await ev("missing: [{{ input.nope }}]")).toBe("missing: []");
  });

  it("reads node outputs and the run", async () => {
    expect(await ev("{{ nodes.greet.output.text & ' ' & input.client }}")).toBe("Hello Acme");
    expect(await ev("{{ run.id }}")).toBe(scope.run.id);
  });

  it("evaluates inside nested objects and arrays and leaves the rest as is", async () => {
    const value = { a: ["{{ input.amount * 2 }}", "plain", 7], b: { c: "{{ nodes.greet.output.n }}", d: null } };
    expect(await ev(value)).toEqual({ a: [10000, "plain", 7], b: { c: 3, d: null } });
    const fixed = { a: [1, "x"], b: { c: true } };
    const compiled = compileParams(fixed, "p");
    expect(compiled.k).toBe("static");
  });

  it("leaves literal params unevaluated", async () => {
    const compiled = compileParams({ code: "return '{{ not an expression'", x: "{{ 1 + 1 }}" }, "p", ["code"]);
    expect(await evaluate(compiled, scope)).toEqual({ code: "return '{{ not an expression'", x: 2 });
  });

  it("finds }} inside string literals without ending the expression", async () => {
    expect(await ev("{{ '}}' & input.client }}")).toBe("}}Acme");
    expect(await ev('{{ "a}}b" }} and {{ "c" }}')).toBe("a}}b and c");
    expect(findExpressions("x {{ 'it\\'s }}' }} y", "p")).toHaveLength(1);
  });

  it("names the param path when an expression does not compile", () => {
    expect(() => compileParams({ set: { total: "{{ input.amount + }}" } }, 'node "sum" (transform) params')).toThrow(
      /node "sum" \(transform\) params\.set\.total: expression \{\{ input\.amount \+ \}\} does not parse/,
    );
    expect(() => compileParams({ list: ["ok", "{{ ( }}"] }, "p")).toThrow(/p\.list\[1\]/);
  });

  it("names an unclosed or empty {{ }}", () => {
    expect(() => compileParams({ url: "http://x/{{ input.id" }, "p")).toThrow(/p\.url: "\{\{" at character 10 is never closed/);
    expect(() => compileParams({ url: "a {{   }} b" }, "p")).toThrow(/p\.url: empty expression/);
  });

  it("stops runaway recursion with a clear error", async () => {
    const err = await failure("{{ ($f := function($n) { $f($n + 1) }; $f(0)) }}", 'node "loop" params.x');
    expect(err.message).toContain('node "loop" params.x: expression');
    expect(err.message).toMatch(/Evaluation timeout|Stack overflow/);
    expect((err as { code?: string }).code).toBe("VALIDATION");
  });

  it("stops deep recursion and a long-running expression", async () => {
    expect((await failure("{{ ($f := function($n) { 1 + $f($n + 1) }; $f(0)) }}")).message).toMatch(/Stack overflow/);
    expect((await failure("{{ $sum([1..1000000].($ * 2)) }}")).message).toMatch(/Evaluation timeout after 1000 milliseconds/);
    // honest recursion of modest depth still works
    expect(await ev("{{ ($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100)) }}")).toBe(100);
  });

  it("fails clearly when an expression yields a function", async () => {
    expect((await failure("{{ function($x) { $x } }}")).message).toMatch(/produced a function/);
    expect((await failure("{{ $string }}")).message).toMatch(/produced a function/);
    expect((await failure("text {{ $uppercase }}")).message).toMatch(/produced a function/);
  });

  it("never evaluates JavaScript", async () => {
    // JSONata has no access to the host: these are just unknown names or errors, not code
    expect(await ev("{{ process }}")).toBeUndefined();
    expect(await ev("{{ $eval('1 + 1') }}")).toBe(2); // JSONata's own $eval parses JSONata, not JS
    expect(await ev("{{ $eval('process.exit(1)') }}")).toBeUndefined(); // a JSONata path, and we are still here
    const source = fs.readFileSync(path.join(import.meta.dirname, "expressions.ts"), "utf8");
    expect(source).not.toMatch(/\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(/);
  });
});
