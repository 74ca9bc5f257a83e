/**
 * The sandbox process: code V8 cannot interrupt, or a crash of the sandbox process, costs that
 * process, never Keel's; answers come on time and calls running beside it still finish.
 */
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { KeelError } from "../../runtime/errors.ts";
import { ProcessSandbox, type CodeRun } from "../../runtime/sandbox/index.ts";

const warnings: string[] = [];
const sandbox = new ProcessSandbox({ warn: (m) => warnings.push(m) });
afterAll(() => sandbox.close());

const call = (code: string, extra: Partial<CodeRun> = {}) => sandbox.run({ code, input: {}, params: {}, timeoutMs: 1000, memoryMb: 64, ...extra });
/** Sums for a while (about a second on a busy machine), then answers. */
const SLOW = "let n = 0; for (let i = 0; i < 3e8; i++) n += i % 3; return n";
const SLOW_ANSWER = 300_000_000;

describe("the sandbox process", () => {
  it("runs code and passes its console lines back in order", async () => {
    const lines: string[] = [];
    expect(await call("console.log('one'); helpers.log('two'); return params.x * 2", { params: { x: 21 }, onLog: (l) => lines.push(l) })).toBe(42);
    expect(lines).toEqual(["one", "two"]);
    await expect(call("return nope")).rejects.toThrow(/ReferenceError: nope is not defined \(at line 1, column 1 of the code\)/);
  });

  it("holds none of Keel's environment (tokens, master key)", async () => {
    await call("return 1");
    const pid = sandbox.pid()!;
    const environ = `/proc/${pid}/environ`;
    if (!fs.existsSync(environ)) return; // not Linux
    const env = fs.readFileSync(environ, "utf8").split("\0");
    expect(env.some((e) => e.startsWith("KEEL_MASTER_KEY=") || e.startsWith("KEEL_TOKEN=") || e.startsWith("HOME="))).toBe(false);
  });

  it("answers on time when V8 cannot interrupt the code, and replaces the process", async () => {
    await call("return 1");
    const before = sandbox.pid();
    const sibling = call(SLOW, { timeoutMs: 20_000 });
    const started = Date.now();
    const e = await call("let s = 'ab,'; for (let i = 0; i < 25; i++) s = s + s; return s.split(',').length", { timeoutMs: 300 }).catch((x) => x);
    expect(e).toBeInstanceOf(KeelError);
    expect((e as KeelError).message).toMatch(/did not finish within 300 ms|more than its 64 MB/);
    expect(Date.now() - started).toBeLessThan(15_000); // on time, not when the builtin is done (minutes)
    expect(await sibling).toBe(SLOW_ANSWER); // the call beside it finishes
    expect(await call("return 'after'")).toBe("after");
    expect(sandbox.pid()).not.toBe(before);
    expect(warnings.some((w) => /restarting the sandbox process/.test(w))).toBe(true);
  });

  it("runs calls again in a new process when the process dies under them", async () => {
    await call("return 1");
    const pid = sandbox.pid()!;
    const running = call(SLOW, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 100));
    process.kill(pid, "SIGKILL");
    expect(await running).toBe(SLOW_ANSWER);
    expect(sandbox.stats().retried).toBeGreaterThanOrEqual(1);
    expect(sandbox.pid()).not.toBe(pid);
  });

  it("stops when the caller cancels", async () => {
    const controller = new AbortController();
    const pending = call("for (;;) {}", { timeoutMs: 20_000, signal: controller.signal });
    setTimeout(() => controller.abort(new KeelError("CANCELED", "run canceled: test")), 100);
    await expect(pending).rejects.toThrow("run canceled: test");
    expect(await call("return 'still here'")).toBe("still here");
  });
});
