/**
 * Runs user JavaScript in a pooled isolate with a fresh context per call. Data crosses as JSON
 * text in and out; the host trusts nothing the isolate hands back (it checks kinds, types and
 * sizes) and keeps its own deadline, so code stuck where V8 cannot interrupt it still gives its
 * node an answer on time: the isolate is disposed and the pool goes on with a new one.
 */
import { createHash } from "node:crypto";
import ivm from "isolated-vm";
import { KeelError } from "../errors.ts";
import { IsolatePool, type PooledIsolate, type PoolStats } from "./pool.ts";
import { memoryError, sandboxError, syntaxError, thrownError, timeoutError } from "./errors.ts";
import { hostCallback, Outcome, type FreshContext, type Receiver } from "./outcome.ts";
import { USER_FILENAME, wrapUserCode } from "./runner-source.ts";

/** Options for a Sandbox; every limit has a default. */
export interface SandboxOptions {
  /** Isolates alive at once (each runs one call at a time). Default 4. */
  maxIsolates?: number;
  /** Largest output, as JSON bytes. Default 2 MB. */
  maxOutputBytes?: number;
  /** Largest `input` + `params` + credentials handed in, as JSON bytes. Default 16 MB. */
  maxInputBytes?: number;
  /** console lines kept per call (the rest are counted, not kept). Default 200. */
  maxLogLines?: number;
  /** Longest console line kept. Default 4000 characters. */
  maxLogChars?: number;
  /** Arrays longer than this are refused by array methods inside the sandbox. Default 2^24. */
  maxArrayLength?: number;
  /** Compiled scripts kept per isolate. Default 200. */
  scriptCacheSize?: number;
  /** How long past timeoutMs the host waits before disposing a stuck isolate. Default 500 ms. */
  graceMs?: number;
  /** Where faults of the sandbox itself are reported (default: stderr). */
  warn?: (message: string) => void;
}

/** One call of user code. */
export interface CodeRun {
  /** The body of an async function receiving (input, params, helpers). */
  code: string;
  input: unknown;
  params: unknown;
  /** Credentials the flow passed to the code on purpose: helpers.credentials[name]. */
  credentials?: Record<string, { kind: string; fields: Record<string, string> }>;
  timeoutMs: number;
  memoryMb: number;
  signal?: AbortSignal;
  /** Each console line, in order, as the code writes it. */
  onLog?: (line: string) => void;
}

/** Counters for tests and benchmarks. */
export interface SandboxStats extends PoolStats {
  /** Isolate threads still busy after their call was given up (V8 could not interrupt them). */
  stuck: number;
  runs: number;
  compiled: number;
  cacheHits: number;
}

let snapshotWarned = false;

export class Sandbox {
  private readonly pool: IsolatePool;
  private readonly opts: Required<Omit<SandboxOptions, "warn">> & Pick<SandboxOptions, "warn">;
  /** V8 code caches by code hash, shared by isolates so a new isolate compiles faster. */
  private readonly codeCache = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
  private counters = { runs: 0, compiled: 0, cacheHits: 0 };
  /** Disposed isolates whose thread is still busy in something V8 cannot interrupt. */
  private stuck = 0;

  constructor(options: SandboxOptions = {}) {
    this.opts = {
      maxIsolates: options.maxIsolates ?? 4,
      maxOutputBytes: options.maxOutputBytes ?? 2 * 1024 * 1024,
      maxInputBytes: options.maxInputBytes ?? 16 * 1024 * 1024,
      maxLogLines: options.maxLogLines ?? 200,
      maxLogChars: options.maxLogChars ?? 4000,
      maxArrayLength: options.maxArrayLength ?? 2 ** 24,
      scriptCacheSize: options.scriptCacheSize ?? 200,
      graceMs: options.graceMs ?? 500,
      warn: options.warn,
    };
    const warn = this.opts.warn ?? ((m: string) => process.stderr.write(`keel: ${m}\n`));
    this.pool = new IsolatePool({
      maxIsolates: this.opts.maxIsolates,
      limits: {
        maxOutputChars: this.opts.maxOutputBytes,
        maxLogChars: this.opts.maxLogChars,
        maxLogLines: this.opts.maxLogLines,
        maxArrayLength: this.opts.maxArrayLength,
      },
      onCatastrophe: warn,
    });
    if (!snapshotWarned && !hasNoSnapshotFlag()) {
      snapshotWarned = true;
      warn("isolated-vm on Node 20+ wants `node --no-node-snapshot` (bin/keel.js and npm scripts pass it); running without it");
    }
  }

  /** Runs the code and returns its output (JSON), or throws a SANDBOX error that says what and where. */
  async run(call: CodeRun): Promise<unknown> {
    return JSON.parse(await this.runText(call));
  }

  /** Like run, but takes the data as JSON text when `dataText` is set and gives the output as JSON text (the sandbox process passes text through). */
  async runText(call: CodeRun & { dataText?: string }): Promise<string> {
    const data = this.serializeInput(call);
    const hash = createHash("sha256").update(call.code).digest("base64url");
    const lease = await this.pool.acquire(call.memoryMb, call.signal);
    this.counters.runs++;
    lease.uses++;
    let discard = false;
    let context: ivm.Context | undefined;
    try {
      const fresh = await this.freshContext(lease);
      context = fresh.context;
      const outcome = new Outcome(call, this.opts);
      fresh.receiver.current = outcome;
      context.global.setSync("__keel_in", data);
      const script = await this.script(lease, call.code, hash);
      const ran = await this.execute(lease, context, script, call, outcome);
      discard = ran.discard;
      return outcome.result();
    } catch (e) {
      discard ||= lease.isolate.isDisposed || !(e instanceof KeelError && e.code === "SANDBOX" && isRecoverable(e));
      if (e instanceof KeelError) throw e;
      if (lease.isolate.isDisposed) throw memoryError(call.memoryMb);
      throw new KeelError("INTERNAL", `the sandbox could not prepare a context: ${(e as Error)?.message ?? e}`, { cause: e });
    } finally {
      if (context && !lease.isolate.isDisposed) context.release();
      if (!discard && !lease.isolate.isDisposed) discard = heapGrew(lease);
      if (!discard) this.prepareNext(lease);
      this.pool.release(lease, { discard });
    }
  }

  /**
   * A context no call has used: the one made in the background after this isolate's last call
   * (creating a context is most of a warm call's cost), or a new one. Either way it ran only
   * the bootstrap, and it serves exactly one call.
   */
  private async freshContext(lease: PooledIsolate): Promise<FreshContext> {
    const next = lease.next as Promise<ivm.Context> | undefined;
    lease.next = undefined;
    let context: ivm.Context | undefined;
    if (next) {
      try {
        context = await next;
      } catch {
        if (lease.isolate.isDisposed) throw memoryError(lease.memoryMb);
      }
    }
    context ??= lease.isolate.createContextSync();
    const receiver: Receiver = { current: undefined };
    context.global.setSync("__keel_host", hostCallback(receiver));
    lease.boot.runSync(context);
    return { context, receiver };
  }

  /** Starts making the isolate's next context on its own thread while the host does other work. */
  private prepareNext(lease: PooledIsolate): void {
    const next = lease.isolate.createContext();
    next.catch(() => {}); // an isolate disposed meanwhile: the next call makes its own
    lease.next = next;
  }

  private serializeInput(call: CodeRun & { dataText?: string }): string {
    if (call.dataText !== undefined) {
      const bytes = Buffer.byteLength(call.dataText);
      if (bytes > this.opts.maxInputBytes) {
        throw sandboxError("input", `the code's input is ${bytes} bytes of JSON; the limit is ${this.opts.maxInputBytes}`);
      }
      return call.dataText;
    }
    let text: string | undefined;
    try {
      text = JSON.stringify({ input: call.input ?? {}, params: call.params ?? {}, credentials: call.credentials ?? {} });
    } catch (e) {
      throw sandboxError("input", `the code's input is not JSON: ${(e as Error).message}`);
    }
    const bytes = Buffer.byteLength(text!);
    if (bytes > this.opts.maxInputBytes) {
      throw sandboxError("input", `the code's input is ${bytes} bytes of JSON; the limit is ${this.opts.maxInputBytes}`);
    }
    return text!;
  }

  /** The compiled script for this code in this isolate: cached by hash, from V8's code cache when another isolate compiled it. */
  private async script(lease: PooledIsolate, code: string, hash: string): Promise<ivm.Script> {
    const cached = lease.scripts.get(hash);
    if (cached) {
      lease.scripts.delete(hash); // keep least recently used first
      lease.scripts.set(hash, cached);
      this.counters.cacheHits++;
      return cached;
    }
    const cachedData = this.codeCache.get(hash);
    let script: ivm.Script;
    try {
      script = await lease.isolate.compileScript(wrapUserCode(code), {
        filename: USER_FILENAME,
        lineOffset: -1,
        ...(cachedData ? { cachedData } : { produceCachedData: true }),
      });
    } catch (e) {
      if (lease.isolate.isDisposed) throw memoryError(lease.memoryMb);
      throw syntaxError(e);
    }
    this.counters.compiled++;
    // isolated-vm sets these on the script it returns (its typings leave them out)
    const produced = script as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };
    if (produced.cachedDataRejected) {
      this.codeCache.get(hash)?.release();
      this.codeCache.delete(hash);
    }
    else if (!cachedData && produced.cachedData) remember(this.codeCache, hash, produced.cachedData, this.opts.scriptCacheSize);
    lease.scripts.set(hash, script);
    if (lease.scripts.size > this.opts.scriptCacheSize) {
      const [oldest, old] = lease.scripts.entries().next().value!;
      lease.scripts.delete(oldest);
      old.release();
    }
    return script;
  }

  /** Runs the script under isolated-vm's timeout, a host deadline and the caller's signal. */
  private async execute(lease: PooledIsolate, context: ivm.Context, script: ivm.Script, call: CodeRun, outcome: Outcome): Promise<{ discard: boolean }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const running = script.run(context, { timeout: call.timeoutMs });
    let settled = false;
    let abandoned = false;
    // when the host deadline wins, this settles later (or never) and is not awaited
    running.then(
      () => {},
      () => {},
    ).finally(() => {
      settled = true;
      if (abandoned) this.stuck--;
    });
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (!settled) {
          abandoned = true;
          this.stuck++;
        }
        const outOfMemory = lease.isolate.isDisposed;
        disposeQuietly(lease); // V8 could not interrupt it: give the answer now, free the slot
        reject(outOfMemory ? memoryError(call.memoryMb) : timeoutError(call.timeoutMs));
      }, call.timeoutMs + this.opts.graceMs);
      if (call.signal) {
        onAbort = () => {
          disposeQuietly(lease);
          reject(call.signal!.reason ?? new KeelError("CANCELED", "the code was canceled"));
        };
        if (call.signal.aborted) onAbort();
        else call.signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    try {
      await Promise.race([running, stopped]);
      return { discard: false };
    } catch (e) {
      if (e instanceof KeelError) throw e;
      throw this.runFailure(e, lease, call);
    } finally {
      clearTimeout(timer);
      if (onAbort) call.signal!.removeEventListener("abort", onAbort);
      outcome.close();
    }
  }

  private runFailure(e: unknown, lease: PooledIsolate, call: CodeRun): KeelError {
    const message = String((e as Error)?.message ?? e);
    const stack = String((e as Error)?.stack ?? "");
    if (/timed out/i.test(message)) return timeoutError(call.timeoutMs, stack);
    if (/memory limit/i.test(message) || lease.isolate.isDisposed) return memoryError(call.memoryMb);
    // thrown at the top of the script (code that closed the wrapper early)
    const name = (e as Error)?.name ?? "Error";
    return thrownError(name, message.replace(/\s*\[[^\]]*\]\s*$/, ""), stack || message);
  }

  stats(): SandboxStats {
    return { ...this.pool.stats(), ...this.counters, stuck: this.stuck };
  }

  /** Disposes every isolate; calls after this fail. */
  close(): void {
    this.pool.close();
    this.codeCache.clear();
  }
}

/** Disposes an isolate that may already be gone (its memory limit disposes it from another thread). */
function disposeQuietly(lease: PooledIsolate): void {
  try {
    if (!lease.isolate.isDisposed) lease.isolate.dispose();
  } catch {
    // disposed meanwhile
  }
}

/** Errors after which the isolate is still sound and may be reused. */
function isRecoverable(e: KeelError): boolean {
  const reason = (e.details as { reason?: string } | undefined)?.reason;
  return reason === "syntax" || reason === "thrown" || reason === "output" || reason === "unsettled" || reason === "input";
}

/** True when the isolate's heap is over half its limit after a call: start the next call in a fresh one. */
function heapGrew(lease: PooledIsolate): boolean {
  try {
    const h = lease.isolate.getHeapStatisticsSync();
    return h.used_heap_size + h.externally_allocated_size > (lease.memoryMb * 1024 * 1024) / 2;
  } catch {
    return true;
  }
}

function remember<K, V extends { release(): void }>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) {
    const [oldest, old] = map.entries().next().value!;
    map.delete(oldest);
    old.release();
  }
}

function hasNoSnapshotFlag(): boolean {
  return process.execArgv.includes("--no-node-snapshot") || /--no-node-snapshot/.test(process.env.NODE_OPTIONS ?? "");
}

