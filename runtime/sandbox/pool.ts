/**
 * A pool of isolated-vm isolates, reused across calls. Each isolate runs one call at a time (a
 * call gets a fresh context in it), has the memory limit that call asked for, and keeps the
 * scripts it compiled, keyed by a hash of the code. An isolate that timed out, ran out of memory,
 * was canceled or grew its heap is disposed and replaced; the pool never shrinks below what
 * callers wait for and never grows above `maxIsolates`.
 */
import ivm from "isolated-vm";
import { KeelError } from "../errors.ts";
import { runnerSource, type RunnerLimits } from "./runner-source.ts";

/** One isolate of the pool, leased to one call at a time. */
export interface PooledIsolate {
  readonly isolate: ivm.Isolate;
  readonly memoryMb: number;
  /** The bootstrap every fresh context runs first. */
  readonly boot: ivm.Script;
  /** Compiled user scripts by code hash, least recently used first. */
  readonly scripts: Map<string, ivm.Script>;
  uses: number;
  idleSince: number;
  /** The next call's context, being made in the background (sandbox.ts). */
  next?: Promise<unknown>;
}

/** Options for an IsolatePool. */
export interface IsolatePoolOptions {
  maxIsolates: number;
  limits: RunnerLimits;
  /** Idle isolates older than this are disposed (ms). */
  idleMs?: number;
  /** Where a catastrophic isolate error is reported. */
  onCatastrophe?: (message: string) => void;
}

interface Waiter {
  memoryMb: number;
  resolve(lease: PooledIsolate): void;
  reject(error: unknown): void;
}

/** Counters for tests and benchmarks. */
export interface PoolStats {
  isolates: number;
  idle: number;
  waiting: number;
  created: number;
  disposed: number;
}

export class IsolatePool {
  private readonly opts: IsolatePoolOptions;
  private readonly bootSource: string;
  private readonly idle: PooledIsolate[] = [];
  private readonly waiters: Waiter[] = [];
  private total = 0;
  private created = 0;
  private disposed = 0;
  private closed = false;
  private trimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: IsolatePoolOptions) {
    this.opts = opts;
    this.bootSource = runnerSource(opts.limits);
  }

  /** Leases an isolate with the given memory limit, waiting when the pool is full. */
  acquire(memoryMb: number, signal?: AbortSignal): Promise<PooledIsolate> {
    if (this.closed) return Promise.reject(new KeelError("INTERNAL", "the sandbox is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { memoryMb, resolve, reject };
      if (signal) {
        const onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.resolve = (lease) => {
          signal.removeEventListener("abort", onAbort);
          resolve(lease);
        };
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /** Returns a leased isolate; `discard` disposes it instead (timeouts, memory, a grown heap). */
  release(lease: PooledIsolate, options: { discard: boolean }): void {
    if (options.discard || this.closed || lease.isolate.isDisposed) this.dispose(lease);
    else {
      lease.idleSince = Date.now();
      this.idle.push(lease);
      this.scheduleTrim();
    }
    this.pump();
  }

  private pump(): void {
    while (this.waiters.length) {
      const w = this.waiters[0];
      let lease: PooledIsolate | undefined;
      const i = this.idle.findIndex((p) => p.memoryMb === w.memoryMb);
      if (i >= 0) lease = this.idle.splice(i, 1)[0];
      else if (this.total >= this.opts.maxIsolates && this.idle.length) this.dispose(this.idle.shift()!); // wrong size: make room
      if (!lease && this.total < this.opts.maxIsolates) {
        try {
          lease = this.create(w.memoryMb);
        } catch (e) {
          this.waiters.shift();
          w.reject(new KeelError("INTERNAL", `could not start a sandbox isolate: ${(e as Error).message}`, { cause: e }));
          continue;
        }
      }
      if (!lease) return; // every isolate is busy: wait for a release
      this.waiters.shift();
      w.resolve(lease);
    }
  }

  private create(memoryMb: number): PooledIsolate {
    const isolate = new ivm.Isolate({
      memoryLimit: memoryMb,
      onCatastrophicError: (message) => this.opts.onCatastrophe?.(`sandbox isolate failed: ${message}`),
    });
    const boot = isolate.compileScriptSync(this.bootSource, { filename: "keel-runner.js" });
    this.total++;
    this.created++;
    return { isolate, memoryMb, boot, scripts: new Map(), uses: 0, idleSince: Date.now() };
  }

  private dispose(lease: PooledIsolate): void {
    this.total--;
    this.disposed++;
    if (!lease.isolate.isDisposed) {
      try {
        lease.isolate.dispose();
      } catch {
        // already gone
      }
    }
  }

  /** Disposes isolates idle for longer than idleMs, so a quiet server gives the memory back. */
  private scheduleTrim(): void {
    if (this.trimTimer || this.closed) return;
    const idleMs = this.opts.idleMs ?? 60_000;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      const cutoff = Date.now() - idleMs;
      for (let i = this.idle.length - 1; i >= 0; i--) {
        if (this.idle[i].idleSince <= cutoff) this.dispose(this.idle.splice(i, 1)[0]);
      }
      if (this.idle.length) this.scheduleTrim();
    }, idleMs);
    this.trimTimer.unref?.();
  }

  stats(): PoolStats {
    return { isolates: this.total, idle: this.idle.length, waiting: this.waiters.length, created: this.created, disposed: this.disposed };
  }

  /** Disposes idle isolates and refuses new leases; leased ones are disposed when returned. */
  close(): void {
    this.closed = true;
    clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
    for (const lease of this.idle.splice(0)) this.dispose(lease);
    for (const w of this.waiters.splice(0)) w.reject(new KeelError("INTERNAL", "the sandbox is closed"));
  }
}
