/**
 * Sandbox escape suite: each attempt tries to reach the host (process, require, the file system,
 * the network, host objects and prototypes) or to take the host down (hangs, floods, bombs). Each
 * must fail inside the sandbox or come back as plain data, with the host untouched; afterwards
 * the same process runs a normal code node correctly.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { types } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeelError } from "../../runtime/errors.ts";
import { Sandbox } from "../../runtime/sandbox/index.ts";
import { makeFlow, testKeel } from "../support/keel.ts";

type Check = { error: string | RegExp } | { value: (v: unknown) => void };
interface Attempt {
  name: string;
  code: string;
  expect: Check;
  timeoutMs?: number;
  memoryMb?: number;
}

let sandbox: Sandbox;
let server: http.Server;
let url = "";
let requests = 0;
let hostReached = false;
const hostInput = { obj: { a: 1, nested: { b: [1, 2] } }, arr: [1, 2, 3] };
const hostInputCopy = structuredClone(hostInput);
const protoKeys = () => [Object.prototype, Array.prototype, Function.prototype, String.prototype, Promise.prototype].map((p) => Reflect.ownKeys(p).length);
let protoBefore: number[];
const hostPrepareStackTrace = Error.prepareStackTrace;

beforeAll(async () => {
  sandbox = new Sandbox({ maxIsolates: 2, graceMs: 3000 }); // the isolate's own timeout comes first, even on a busy machine
  server = http.createServer((_req, res) => {
    requests++;
    res.end("reached");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  (globalThis as Record<string, unknown>).keelHostMarker = () => {
    hostReached = true;
  };
  protoBefore = protoKeys();
});

afterAll(async () => {
  sandbox.close();
  delete (globalThis as Record<string, unknown>).keelHostMarker;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fails = (error: string | RegExp): Check => ({ error });
const gives = (value: (v: unknown) => void): Check => ({ value });
const equals = (expected: unknown): Check => gives((v) => expect(v).toEqual(expected));

const attempts = (): Attempt[] => [
  { name: "this.constructor.constructor('return process')()", code: "return this.constructor.constructor('return process')()", expect: fails(/ReferenceError: process is not defined/) },
  { name: "Function('return process')()", code: "return Function('return process')().pid", expect: fails(/process is not defined/) },
  { name: "function constructor reached through a callback", code: "return console.log.constructor('return typeof process')()", expect: equals("undefined") },
  { name: "eval('process')", code: "return eval('process.env')", expect: fails(/process is not defined/) },
  { name: "indirect eval for require", code: "return (0, eval)('typeof require + typeof module + typeof global')", expect: equals("undefinedundefinedundefined") },
  { name: "import() of node:fs", code: "const fs = await import('node:fs'); return fs.readFileSync('/etc/passwd', 'utf8')", expect: fails(/thrown|import|not supported|Not supported/i) },
  { name: "require('child_process')", code: "return require('child_process').execSync('id').toString()", expect: fails(/require is not defined/) },
  { name: "host globals are absent", code: "return [typeof process, typeof require, typeof Buffer, typeof setTimeout, typeof setImmediate, typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof queueMicrotask].join()", expect: equals(Array(9).fill("undefined").join()) },
  { name: "a host global function", code: "return keelHostMarker()", expect: fails(/keelHostMarker is not defined/) },
  { name: "the runner's host callback", code: "return [typeof __keel_host, typeof __keel_in, typeof __keel_run].join()", expect: equals("undefined,undefined,undefined") },
  { name: "network: fetch", code: `return await fetch(${JSON.stringify("URL")})`, expect: fails(/fetch is not defined/) },
  { name: "timers: setTimeout", code: "await new Promise((r) => setTimeout(r, 1)); return 1", expect: fails(/setTimeout is not defined/) },
  {
    name: "prototype pollution of objects passed in",
    code: "input.obj.nested.b.push(3); input.obj.__proto__.polluted = 1; Object.prototype.polluted2 = 2; Array.prototype.push = null; input.obj.a = 99; input.arr.length = 0; return Object.keys(input.obj)",
    expect: equals(["a", "nested"]),
  },
  { name: "Error.prepareStackTrace to reach frames' receivers", code: "Error.prepareStackTrace = (e, frames) => frames.map((f) => { const t = f.getThis(); return t && t.process }); const s = new Error('x').stack; return s.filter(Boolean).length", expect: equals(0) },
  { name: "Error.prepareStackTrace returning functions", code: "Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getFunction()); throw new Error('x')", expect: fails(/the code threw/) },
  { name: "SharedArrayBuffer", code: "return new SharedArrayBuffer(8).byteLength", expect: fails(/SharedArrayBuffer is not defined/) },
  { name: "Atomics.wait hang", code: "Atomics.wait(new Int32Array(4), 0, 0); return 1", expect: fails(/Atomics is not defined/) },
  { name: "WebAssembly memory bomb", code: "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(1000)", expect: fails(/WebAssembly is not defined/) },
  { name: "getter on a returned object", code: "return { get x() { return typeof process } }", expect: gives((v) => expect(Object.getOwnPropertyDescriptor(v, "x")).toMatchObject({ value: "undefined" })) },
  { name: "getter that never returns", code: "return { get x() { for (;;) {} } }", expect: fails(/did not finish within 300 ms/), timeoutMs: 300 },
  { name: "Proxy on the output", code: "return new Proxy({ a: 1 }, { get: (t, k) => (k === 'toJSON' ? undefined : 'trapped'), ownKeys: () => ['a', 'b'], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }) })", expect: gives((v) => { expect(types.isProxy(v)).toBe(false); expect(v).toEqual({ a: "trapped", b: "trapped" }); }) },
  { name: "Proxy whose trap throws", code: "return new Proxy({}, { ownKeys() { throw new Error('trap') } })", expect: fails(/not JSON: trap/) },
  { name: "Proxy whose trap loops", code: "return new Proxy({}, { ownKeys() { for (;;) {} } })", expect: fails(/did not finish/), timeoutMs: 300 },
  { name: "symbol-keyed output", code: "return { [Symbol('secret')]: 1, [Symbol.toPrimitive]: () => 1, a: 1 }", expect: gives((v) => { expect(v).toEqual({ a: 1 }); expect(Object.getOwnPropertySymbols(v)).toEqual([]); }) },
  { name: "a symbol as the output", code: "return Symbol('x')", expect: fails(/returned a symbol/) },
  { name: "toJSON reaching for process", code: "return { toJSON() { return this.constructor.constructor('return process')() } }", expect: fails(/process is not defined/) },
  { name: "replaced JSON.stringify", code: "JSON.stringify = () => 'x'.repeat(1e7); return 1", expect: equals(1) },
  { name: "replaced Promise.prototype.then", code: "Promise.prototype.then = function () {}; return 5", expect: equals(5) },
  { name: "huge string output", code: "return 'x'.repeat(30e6)", expect: fails(/output is|memory/) },
  { name: "huge array", code: "const a = []; for (let i = 0; i < 5e7; i++) a.push(i + 0.5); return a", expect: fails(/more than its 32 MB of memory/), memoryMb: 32 },
  { name: "huge array filled at once", code: "return new Array(5e7).fill(1.5)", expect: fails(/over the sandbox limit/) },
  { name: "huge sparse array walked by map", code: "const a = []; a.length = 2 ** 32 - 1; return a.map((x) => x).length", expect: fails(/over the sandbox limit/) },
  { name: "huge array-like walked by forEach", code: "Array.prototype.forEach.call({ length: 2 ** 32 - 1 }, () => {}); return 1", expect: fails(/over the sandbox limit/) },
  { name: "deep recursion", code: "const f = () => f() + 1; return f()", expect: fails(/Maximum call stack size exceeded/) },
  { name: "deeply nested output", code: "let o = {}; for (let i = 0; i < 1e5; i++) o = { o }; return o", expect: fails(/not JSON: Maximum call stack|did not finish/) },
  { name: "promise flood", code: "const go = () => Promise.resolve().then(go); go(); return await new Promise(() => {})", expect: fails(/did not finish|memory/), timeoutMs: 300 },
  { name: "infinite while(true)", code: "while (true) {}", expect: fails(/did not finish within 300 ms \(timeoutMs\) \(at line 1/), timeoutMs: 300 },
  { name: "infinite loop after an await", code: "await null;\nfor (;;) {}", expect: fails(/at line 2/), timeoutMs: 300 },
  { name: "never-resolving promise", code: "return await new Promise(() => {})", expect: fails(/never settled/) },
  { name: "memory bomb", code: "const a = []; for (;;) a.push(new Array(1e5).fill(Math.random()))", expect: fails(/more than its 32 MB of memory/), memoryMb: 32 },
  { name: "ArrayBuffer bomb", code: "const b = []; for (;;) b.push(new ArrayBuffer(64 * 1024 * 1024)); ", expect: fails(/allocation failed|memory/), memoryMb: 32 },
  { name: "breaking out of the wrapper", code: "}) })(); this.constructor.constructor('return process')().exit(1); (() => { (async function () {", expect: fails(/process is not defined/) },
  { name: "console flood", code: "for (let i = 0; i < 1e5; i++) console.log('line', i); return 'done'", expect: equals("done") },
  { name: "Object.prototype.then makes everything thenable", code: "Object.prototype.then = function (ok) { ok(typeof process) }; return {}", expect: gives((v) => expect(["undefined", {}]).toContainEqual(v)) },
];

describe("sandbox escape attempts", () => {
  it("has at least 30 attempts", () => {
    expect(attempts().length).toBeGreaterThanOrEqual(30);
  });

  for (const attempt of attempts()) {
    it(`does not reach the host: ${attempt.name}`, async () => {
      const input = structuredClone(hostInput);
      const logs: string[] = [];
      let outcome: { value: unknown } | { error: KeelError };
      try {
        const value = await sandbox.run({
          code: attempt.code.replace("URL", url),
          input,
          params: {},
          timeoutMs: attempt.timeoutMs ?? 1000,
          memoryMb: attempt.memoryMb ?? 64,
          onLog: (l) => logs.push(l),
        });
        outcome = { value };
      } catch (e) {
        expect(e).toBeInstanceOf(KeelError);
        outcome = { error: e as KeelError };
      }
      if ("error" in attempt.expect) {
        expect("error" in outcome ? outcome.error.message : `no error; got ${JSON.stringify((outcome as { value: unknown }).value)}`).toMatch(attempt.expect.error);
        expect((outcome as { error: KeelError }).error.code).toBe("SANDBOX");
      } else {
        if ("error" in outcome) throw outcome.error;
        attempt.expect.value(outcome.value);
      }
      // the host is untouched
      expect(hostReached).toBe(false);
      expect(requests).toBe(0);
      expect(input).toEqual(hostInputCopy);
      expect(protoKeys()).toEqual(protoBefore);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Error.prepareStackTrace).toBe(hostPrepareStackTrace);
      expect(logs.length).toBeLessThanOrEqual(201);
      if (attempt.name === "console flood") expect(logs.at(-1)).toMatch(/more console lines dropped/);
    });
  }

  it("then runs a normal code node correctly in the same process", async () => {
    expect(sandbox.stats().isolates).toBeLessThanOrEqual(2);
    const value = await sandbox.run({ code: "return input.items.map((x) => x * 2)", input: { items: [1, 2, 3] }, params: {}, timeoutMs: 1000, memoryMb: 64 });
    expect(value).toEqual([2, 4, 6]);
    const keel = testKeel();
    try {
      const flow = makeFlow(
        [
          { id: "start", type: "transform", params: { set: { items: "{{ input.items }}" } } },
          { id: "double", type: "code.js", params: { code: "return { doubled: input.start.items.map((x) => x * params.factor) }", params: { factor: 2 } } },
        ],
        [["start", "double"]],
      );
      const result = await keel.coordinator.run(flow, { items: [1, 2, 3] });
      expect(result.status).toBe("succeeded");
      expect(result.output).toEqual({ double: { doubled: [2, 4, 6] } });
    } finally {
      await keel.dispose();
    }
  });
});
