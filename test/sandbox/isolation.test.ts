/** The sandbox pool: fresh contexts per call, cached scripts, errors that say where, and a pool that carries on. */
import { afterAll, describe, expect, it } from "vitest";
import { KeelError } from "../../runtime/errors.ts";
import { Sandbox, type CodeRun } from "../../runtime/sandbox/index.ts";

// a long grace: on a busy machine the isolate's own timeout (which names the line) must come first
const sandbox = new Sandbox({ maxIsolates: 2, graceMs: 3000 });
afterAll(() => sandbox.close());

const run = (code: string, extra: Partial<CodeRun> = {}) => sandbox.run({ code, input: {}, params: {}, timeoutMs: 1000, memoryMb: 64, ...extra });
const failure = async (code: string, extra: Partial<CodeRun> = {}): Promise<KeelError> => {
  try {
    await run(code, extra);
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    return e as KeelError;
  }
  throw new Error("expected the code to fail");
};

describe("isolation between calls", () => {
  it("does not show a global set in one call to the next", async () => {
    const one = new Sandbox({ maxIsolates: 1 }); // one isolate: both calls surely share it
    try {
      const code = "const seen = [typeof globalThis.leak, typeof ({}).leak2, typeof Array.prototype.map]; globalThis.leak = 'from one call'; Object.prototype.leak2 = 1; Array.prototype.map = null; return seen";
      expect(await one.run({ code, input: {}, params: {}, timeoutMs: 1000, memoryMb: 64 })).toEqual(["undefined", "undefined", "function"]);
      expect(await one.run({ code, input: {}, params: {}, timeoutMs: 1000, memoryMb: 64 })).toEqual(["undefined", "undefined", "function"]);
      expect(one.stats().created).toBe(1);
    } finally {
      one.close();
    }
  });

  it("keeps concurrent calls apart", async () => {
    const calls = Array.from({ length: 8 }, (_, i) => run("let s = 0; for (const x of input.xs) s += x; return { id: params.id, s }", { input: { xs: [i, i, i] }, params: { id: i } }));
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 8 }, (_, i) => ({ id: i, s: 3 * i })));
    expect(sandbox.stats().isolates).toBeLessThanOrEqual(2);
  });

  it("hands the code copies: changing input inside changes nothing outside", async () => {
    const input = { list: [1, 2], obj: { a: 1 } };
    expect(await run("input.list.push(3); input.obj.a = 2; return input", { input })).toEqual({ list: [1, 2, 3], obj: { a: 2 } });
    expect(input).toEqual({ list: [1, 2], obj: { a: 1 } });
  });

  it("caches compiled scripts by a hash of the code", async () => {
    const code = `return ${Math.random()}`;
    const before = sandbox.stats();
    await run(code);
    await run(code);
    await run(code);
    const after = sandbox.stats();
    expect(after.compiled - before.compiled).toBeLessThanOrEqual(2); // once per isolate at most
    expect(after.cacheHits - before.cacheHits).toBeGreaterThanOrEqual(1);
  });
});

describe("failures say what and where", () => {
  it("reports a syntax error with the user's line and column", async () => {
    const e = await failure("const a = 1;\nconst b = ;\nreturn a");
    expect(e.code).toBe("SANDBOX");
    expect(e.message).toBe("SyntaxError: Unexpected token ';' (at line 2, column 11 of the code)");
    expect(e.details).toMatchObject({ reason: "syntax", line: 2, column: 11 });
  });

  it("reports a thrown error with the user's line and column", async () => {
    const e = await failure("const x = 1;\n\nif (x) throw new TypeError('bad x');");
    expect(e.message).toBe("the code threw TypeError: bad x (at line 3, column 14 of the code)");
    expect(e.retryable).toBe(false);
  });

  it("reports a thrown non-error value", async () => {
    expect((await failure("throw { reason: 'nope' }")).message).toMatch(/the code threw Error: \{"reason":"nope"\}/);
    expect((await failure("throw 'plain text'")).message).toMatch(/not an Error: plain text/);
  });

  it("reports a timeout where the code was stopped", async () => {
    const e = await failure("let i = 0;\nwhile (true) { i++ }", { timeoutMs: 100 });
    expect(e.message).toMatch(/^the code did not finish within 100 ms \(timeoutMs\) \(at line 2/);
    expect(e.details).toMatchObject({ reason: "timeout", line: 2 });
  });

  it("reports the memory limit", async () => {
    const e = await failure("const a = []; for (;;) a.push(new Array(1e5).fill(1))", { memoryMb: 16 });
    expect(e.message).toBe("the code used more than its 16 MB of memory (memoryMb)");
  });

  it("reports output that is not JSON", async () => {
    expect((await failure("return 1n")).message).toBe("the code returned a bigint, which is not JSON");
    expect((await failure("const a = []; a.push(a); return a")).message).toMatch(/not JSON: Converting circular structure/);
    expect((await failure("return () => 1")).message).toBe("the code returned a function, which is not JSON");
  });

  it("refuses output over the size limit", async () => {
    const small = new Sandbox({ maxIsolates: 1, maxOutputBytes: 1000 });
    try {
      await expect(small.run({ code: "return 'é'.repeat(600)", input: {}, params: {}, timeoutMs: 1000, memoryMb: 64 })).rejects.toThrow(/output is 1202 bytes of JSON; the limit is 1000/);
      await expect(small.run({ code: "return 'x'.repeat(2000)", input: {}, params: {}, timeoutMs: 1000, memoryMb: 64 })).rejects.toThrow(/output is 2002 characters of JSON; the limit is 1000/);
    } finally {
      small.close();
    }
  });

  it("stops when the caller cancels", async () => {
    const controller = new AbortController();
    const pending = run("for (;;) {}", { timeoutMs: 30_000, signal: controller.signal });
    setTimeout(() => controller.abort(new KeelError("CANCELED", "run canceled: test")), 50);
    await expect(pending).rejects.toThrow("run canceled: test");
  });

  it("carries on after failures: the next call works", async () => {
    await failure("while (true) {}", { timeoutMs: 50 });
    await failure("const a = []; for (;;) a.push(new Array(1e5).fill(1))", { memoryMb: 16 });
    expect(await run("return params.n + 1", { params: { n: 41 } })).toBe(42);
    expect(sandbox.stats().isolates).toBeLessThanOrEqual(2);
  });
});

describe("console", () => {
  it("passes console lines and helpers.log to the caller, in order", async () => {
    const lines: string[] = [];
    const out = await run("console.log('a', 1, { b: 2 }); console.error(new Error('e').message); helpers.log('c'); return null", { onLog: (l) => lines.push(l) });
    expect(out).toBeNull();
    expect(lines).toEqual(['a 1 {"b":2}', "e", "c"]);
  });

  it("keeps lines of a call that failed", async () => {
    const lines: string[] = [];
    await failure("console.log('before');\nthrow new Error('after')", { onLog: (l) => lines.push(l) });
    expect(lines).toEqual(["before"]);
  });
});
