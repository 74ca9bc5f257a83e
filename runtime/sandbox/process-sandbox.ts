/**
 * The sandbox as the code node uses it: isolates in a separate process. isolated-vm keeps user
 * code from reaching the host, but V8 can neither interrupt a few builtins (working through a
 * string or array of hundreds of megabytes) nor always survive running out of memory. In a
 * child process such code can only stall or crash that child: the Keel process answers on time,
 * kills a child whose isolate thread will not stop, and starts a new one. Calls that were running
 * beside it in the same child are sent again (user code has no side effects outside the sandbox,
 * so running it twice is safe).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { KeelError } from "../errors.ts";
import { sandboxError, timeoutError } from "./errors.ts";
import type { ChildMessage, ParentMessage } from "./protocol.ts";
import type { CodeRun, SandboxOptions } from "./sandbox.ts";

const ENTRY = fileURLToPath(new URL("./child-entry.mjs", import.meta.url));

/** Options for a ProcessSandbox: the Sandbox's own, plus how long to wait for a silent child. */
export interface ProcessSandboxOptions extends Omit<SandboxOptions, "warn"> {
  /** Past a call's timeoutMs, how long before a child that has not answered is killed. Default 2000 ms. */
  killAfterMs?: number;
  /** How long a new sandbox process may take to start. Default 30 s. */
  startTimeoutMs?: number;
  /** Where the sandbox's own faults are reported (default: stderr). */
  warn?: (message: string) => void;
}

/** Counters for tests and benchmarks. */
export interface ProcessSandboxStats {
  started: number;
  killed: number;
  retried: number;
  inflight: number;
}

interface Child {
  proc: ChildProcess;
  pid: number | undefined;
  ready: Promise<void>;
  inflight: Map<number, Pending>;
  retired: boolean;
  isReady: boolean;
}

interface Pending {
  id: number;
  call: CodeRun;
  dataText: string;
  tries: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  onAbort?: () => void;
  child?: Child;
}

export class ProcessSandbox {
  private readonly opts: ProcessSandboxOptions;
  private readonly warn: (message: string) => void;
  private current: Child | undefined;
  private readonly children = new Set<Child>();
  private seq = 0;
  private closed = false;
  private counters = { started: 0, killed: 0, retried: 0 };

  constructor(options: ProcessSandboxOptions = {}) {
    this.opts = options;
    this.warn = options.warn ?? ((m) => process.stderr.write(`keel: ${m}\n`));
  }

  /** Runs the code in the sandbox process; the same contract as Sandbox.run. */
  run(call: CodeRun): Promise<unknown> {
    if (this.closed) return Promise.reject(new KeelError("INTERNAL", "the sandbox is closed"));
    if (call.signal?.aborted) return Promise.reject(call.signal.reason);
    let dataText: string;
    try {
      dataText = JSON.stringify({ input: call.input ?? {}, params: call.params ?? {}, credentials: call.credentials ?? {} });
    } catch (e) {
      return Promise.reject(sandboxError("input", `the code's input is not JSON: ${(e as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { id: ++this.seq, call, dataText, tries: 0, resolve, reject };
      if (call.signal) {
        pending.onAbort = () => {
          const child = pending.child;
          this.settle(pending);
          if (child) this.send(child, { type: "cancel", id: pending.id, reason: String((call.signal!.reason as Error)?.message ?? "canceled") });
          reject(call.signal!.reason);
        };
        call.signal.addEventListener("abort", pending.onAbort, { once: true });
      }
      void this.dispatch(pending);
    });
  }

  private async dispatch(pending: Pending): Promise<void> {
    pending.tries++;
    let child: Child;
    try {
      child = this.current && !this.current.retired ? this.current : (this.current = this.spawn());
    } catch (e) {
      this.fail(pending, new KeelError("INTERNAL", `could not start the sandbox process: ${(e as Error).message}`));
      return;
    }
    pending.child = child;
    child.inflight.set(pending.id, pending);
    this.updateRefs();
    try {
      await child.ready;
    } catch (e) {
      if (child.inflight.get(pending.id) === pending) this.fail(pending, e);
      return;
    }
    if (child.inflight.get(pending.id) !== pending) return; // canceled, or moved on while starting
    const { code, timeoutMs, memoryMb } = pending.call;
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => {
      // the child did not answer: its event loop or an isolate thread is stuck
      this.fail(pending, timeoutError(timeoutMs));
      this.kill(child, "a call went past its deadline without an answer");
    }, timeoutMs + (this.opts.killAfterMs ?? 2000));
    this.send(child, { type: "run", id: pending.id, call: { code, dataText: pending.dataText, timeoutMs, memoryMb } });
  }

  private spawn(): Child {
    const { warn: _warn, killAfterMs: _k, startTimeoutMs: _s, ...sandboxOptions } = this.opts;
    const proc = fork(ENTRY, [], {
      execArgv: ["--no-node-snapshot"],
      env: childEnv(JSON.stringify(sandboxOptions)),
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.counters.started++;
    let started: () => void = () => {};
    let failed: (e: unknown) => void = () => {};
    const child: Child = {
      proc,
      pid: proc.pid,
      inflight: new Map(),
      retired: false,
      isReady: false,
      ready: new Promise<void>((resolve, reject) => {
        started = resolve;
        failed = reject;
      }),
    };
    child.ready.catch(() => {});
    this.children.add(child);
    const startTimer = setTimeout(() => {
      failed(new KeelError("INTERNAL", "the sandbox process did not start in time"));
      this.kill(child, "it did not start in time");
    }, this.opts.startTimeoutMs ?? 30_000);
    startTimer.unref?.();
    proc.on("message", (m: ChildMessage) => {
      if (m.type === "ready") {
        clearTimeout(startTimer);
        child.isReady = true;
        started();
      } else this.onMessage(child, m);
    });
    proc.on("error", (e) => {
      clearTimeout(startTimer);
      failed(new KeelError("INTERNAL", `the sandbox process failed: ${e.message}`));
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(startTimer);
      failed(new KeelError("INTERNAL", `the sandbox process exited before it was ready (${signal ?? `code ${code}`})`));
      this.onExit(child, signal ?? `code ${code}`);
    });
    return child;
  }

  private onMessage(child: Child, m: Exclude<ChildMessage, { type: "ready" }>): void {
    if (m.type === "warn") return this.warn(m.message);
    if (m.type === "stuck") return this.retire(child);
    const pending = child.inflight.get(m.id);
    if (!pending) return; // given up on already
    if (m.type === "log") {
      try {
        pending.call.onLog?.(m.line);
      } catch {
        // a failing log sink must not fail the user's code
      }
    } else if (m.type === "ok") {
      this.settle(pending);
      try {
        pending.resolve(JSON.parse(m.text));
      } catch (e) {
        pending.reject(sandboxError("output", `the code returned a value that is not JSON: ${(e as Error).message}`));
      }
    } else if (m.type === "error") {
      this.settle(pending);
      pending.reject(new KeelError(m.error.code, m.error.message, { retryable: m.error.retryable, details: m.error.details }));
    }
  }

  /** A child stopped (crashed, out of memory, or killed): calls still running in it get one more try elsewhere. */
  private onExit(child: Child, how: string): void {
    this.children.delete(child);
    if (this.current === child) this.current = undefined;
    const left = [...child.inflight.values()];
    child.inflight.clear();
    for (const pending of left) {
      clearTimeout(pending.timer);
      if (this.closed) pending.reject(new KeelError("INTERNAL", "the sandbox is closed"));
      else if (!child.isReady) pending.reject(new KeelError("INTERNAL", `the sandbox process could not start (${how})`));
      else if (pending.tries < 2) {
        this.counters.retried++;
        void this.dispatch(pending);
      } else {
        this.fail(pending, sandboxError("memory", `the sandbox process stopped (${how}) while running this code, twice; the code probably exhausts memory where V8 cannot stop it`));
      }
    }
    this.updateRefs();
  }

  /** New calls go to a new child; this one is killed once its calls are done. */
  private retire(child: Child): void {
    if (child.retired) return;
    child.retired = true;
    if (this.current === child) this.current = undefined;
    if (child.inflight.size === 0) this.kill(child, "an isolate thread would not stop");
  }

  private kill(child: Child, why: string): void {
    child.retired = true;
    if (this.current === child) this.current = undefined;
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    this.counters.killed++;
    if (!this.closed) this.warn(`restarting the sandbox process: ${why}`);
    child.proc.kill("SIGKILL");
  }

  private settle(pending: Pending): void {
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.call.signal?.removeEventListener("abort", pending.onAbort);
    const child = pending.child;
    if (child && child.inflight.get(pending.id) === pending) {
      child.inflight.delete(pending.id);
      if (child.retired && child.inflight.size === 0) this.kill(child, "an isolate thread would not stop");
    }
    this.updateRefs();
  }

  private fail(pending: Pending, error: unknown): void {
    this.settle(pending);
    pending.reject(error);
  }

  private send(child: Child, message: ParentMessage): void {
    if (!child.proc.connected) return;
    child.proc.send(message, (e) => {
      if (e && message.type === "run") {
        const pending = child.inflight.get(message.id);
        if (pending) this.fail(pending, new KeelError("INTERNAL", `could not reach the sandbox process: ${e.message}`));
      }
    });
  }

  /** An idle child must not keep Keel's process alive (a CLI run exits when its flow is done). */
  private updateRefs(): void {
    for (const child of this.children) {
      const busy = child.inflight.size > 0;
      const channel = child.proc.channel as { ref?(): void; unref?(): void } | undefined;
      if (busy) {
        child.proc.ref();
        channel?.ref?.();
      } else {
        child.proc.unref();
        channel?.unref?.();
      }
    }
  }

  /** The pid of the current sandbox process (tests). */
  pid(): number | undefined {
    return this.current?.pid;
  }

  stats(): ProcessSandboxStats {
    let inflight = 0;
    for (const c of this.children) inflight += c.inflight.size;
    return { ...this.counters, inflight };
  }

  /** Kills the sandbox processes; calls after this fail. */
  close(): void {
    this.closed = true;
    for (const child of [...this.children]) this.kill(child, "closed");
    this.current = undefined;
  }
}

/** The child's environment: nothing of the parent's (no tokens, keys or KEEL_MASTER_KEY), only what Node and tsx need. */
function childEnv(options: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { KEEL_SANDBOX_OPTIONS: options };
  for (const k of ["PATH", "TMPDIR", "TMP", "TEMP", "SystemRoot", "LANG", "TZ"]) if (process.env[k]) env[k] = process.env[k];
  return env;
}
