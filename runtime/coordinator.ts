/**
 * The central coordinator: one per process, it owns every run. It starts runs, resumes the ones
 * a crash or restart interrupted, wakes waiting nodes (timers, approvals), cancels, forks, and
 * tells listeners about every event as it is appended.
 */
import type { DoorFactory } from "./doors.ts";
import type { EngineDeps } from "./engine-deps.ts";
import { KeelError, toKeelError, ValidationError } from "./errors.ts";
import { downstreamOf } from "./graph.ts";
import { isRunId, newRunId } from "./ids.ts";
import type { WakeValue } from "./node.ts";
import { prepareFlow, formatPath } from "./prepare.ts";
import type { NodeRegistry } from "./registry.ts";
import { toRunResult, toRunSummary, type RunResult } from "./result.ts";
import type { RunEvent, RunEventBody } from "./schema/events.ts";
import { foldEvents, isFinished, type RunState } from "./state.ts";
import type { EventStore, RunIndex, RunSummary } from "./stores.ts";
import { RunExecution } from "./execution.ts";

/** Reacts to a node starting to wait for something of its kind (e.g. creates an approval). */
export interface WaitHandler {
  /** Called when the wait begins and again after each restart: must be idempotent. */
  onWait(info: { state: RunState; nodeId: string; wait: { kind: string; until?: number; data?: Record<string, unknown> } }): void | Promise<void>;
}

/** Keeps secrets out of everything a run writes. */
export interface Redactor {
  redact(runId: string, event: RunEventBody): RunEventBody;
  register(runId: string, name: string, value: string): void;
}

/** Options for a Coordinator. */
export interface CoordinatorOptions {
  store: EventStore;
  index: RunIndex;
  registry: NodeRegistry;
  doors?: DoorFactory;
  waits?: Record<string, WaitHandler>;
  redactor?: Redactor;
  /** Parallel nodes per run when a flow does not say (default 4). */
  concurrency?: number;
  /** Largest accepted run input, as JSON (default 5 MB). */
  maxInputBytes?: number;
  now?: () => number;
  random?: () => number;
  /** Where engine faults are reported (default: stderr). */
  log?: (message: string) => void;
}

/** Which settled states a caller waits for. */
export type SettleUntil = "settled" | "not-timer";

type Listener = (runId: string, event: RunEvent) => void;

export class Coordinator {
  private readonly opts: CoordinatorOptions;
  private readonly deps: EngineDeps;
  private readonly live = new Map<string, RunExecution>();
  private readonly loading = new Map<string, Promise<RunExecution>>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners = new Set<Listener>();
  private readonly watchers = new Map<string, Set<{ until: SettleUntil; resolve: (r: RunResult) => void }>>();
  private closed = false;
  /** Finished runs waiting for the run index to be written before they leave the journal of open runs. */
  private readonly closing = new Set<Promise<void>>();
  private readonly log: (m: string) => void;

  constructor(opts: CoordinatorOptions) {
    this.opts = opts;
    const log = (this.log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)));
    this.deps = {
      store: opts.store,
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
      concurrency: opts.concurrency,
      doors: opts.doors,
      redact: opts.redactor ? (id, e) => opts.redactor!.redact(id, e) : undefined,
      registerSecret: opts.redactor ? (id, n, v) => opts.redactor!.register(id, n, v) : undefined,
      onEvent: (runId, event) => {
        for (const l of this.listeners) {
          // a subscriber's bug must not fail the node whose event it was told about
          try {
            l(runId, event);
          } catch (e) {
            log(`keel: a run event listener failed on ${event.type} of run ${runId}: ${(e as Error)?.message ?? String(e)}`);
          }
        }
      },
      onWaiting: (state, nodeId, wait) => this.onWaiting(state, nodeId, wait),
      onSettled: (state) => this.onSettled(state),
      onError: (runId, e) => log(`keel: engine fault in run ${runId}: ${(e as Error)?.stack ?? String(e)}`),
    };
  }

  /** Listens to every event of every run, as appended. Returns an unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates the flow and input and starts a run. `done` settles when the run finishes or waits.
   * `runId` starts it under an id reserved earlier (see newRunId), e.g. one recorded durably
   * before the run, so that a crash in between can be told apart from a run that happened.
   */
  async start(
    flowDoc: unknown,
    input: unknown,
    options: { until?: SettleUntil; parent?: { runId: string; fromNode: string }; runId?: string } = {},
  ): Promise<{ runId: string; done: Promise<RunResult> }> {
    if (this.closed) throw new KeelError("INTERNAL", "the coordinator is closed");
    const prepared = prepareFlow(flowDoc, this.opts.registry);
    const value = this.checkInput(prepared.inputSchema, input);
    if (options.runId !== undefined && !isRunId(options.runId)) throw new KeelError("INTERNAL", `not a run id: ${JSON.stringify(options.runId)}`);
    const runId = options.runId ?? newRunId(new Date(this.deps.now()));
    this.opts.store.create(runId);
    const event = this.opts.store.append(runId, {
      type: "run.created",
      flow: prepared.flow,
      input: value,
      startedAt: new Date(this.deps.now()).toISOString(),
      ts: this.deps.now(),
      ...(options.parent ? { parentRunId: options.parent.runId, fromNode: options.parent.fromNode } : {}),
    });
    const state = foldEvents(runId, [event]);
    this.deps.onEvent(runId, event);
    const exec = new RunExecution(this.deps, prepared, state);
    this.live.set(runId, exec);
    if (options.parent) await this.reuseUpstream(exec, options.parent);
    this.opts.index.put(toRunSummary(state));
    const done = this.settled(runId, options.until ?? "settled");
    void exec.drive();
    return { runId, done };
  }

  /** Starts a run and waits for it to settle. */
  async run(flowDoc: unknown, input: unknown, until: SettleUntil = "settled"): Promise<RunResult> {
    return (await this.start(flowDoc, input, { until })).done;
  }

  /**
   * Re-runs a finished run from one node: a new run that reuses the recorded outputs of every
   * node not downstream of `fromNode`, so a fixed prompt replays without paying again.
   */
  async rerun(runId: string, fromNode: string, flowDoc?: unknown): Promise<{ runId: string; done: Promise<RunResult> }> {
    const parent = await this.state(runId);
    if (!parent.nodes[fromNode]) throw new ValidationError(`run ${runId} has no node "${fromNode}"`);
    return this.start(flowDoc ?? parent.flow, parent.input, { parent: { runId, fromNode } });
  }

  private async reuseUpstream(exec: RunExecution, parent: { runId: string; fromNode: string }): Promise<void> {
    const before = await this.state(parent.runId);
    const prepared = prepareFlow(exec.state.flow, this.opts.registry);
    const rerun = downstreamOf(prepared.graph, parent.fromNode).add(parent.fromNode);
    for (const id of prepared.graph.order) {
      const old = before.nodes[id];
      if (rerun.has(id) || !old || old.status !== "succeeded") continue;
      exec.emit({ type: "node.succeeded", node: id, attempt: 0, output: old.output, ms: 0, reused: true, ...(old.port ? { port: old.port } : {}) });
    }
  }

  private checkInput(schema: import("zod").ZodType | undefined, input: unknown): unknown {
    const value = input === undefined ? {} : input;
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(value) ?? "");
    } catch (e) {
      if (e instanceof RangeError) throw new ValidationError(`input is nested too deeply (${e.message})`);
      throw new ValidationError(`input is not JSON: ${(e as Error).message}`);
    }
    const max = this.opts.maxInputBytes ?? 5 * 1024 * 1024;
    if (size > max) throw new ValidationError(`input is ${size} bytes; the limit is ${max}`);
    if (!schema) return value;
    let r: ReturnType<typeof schema.safeParse>;
    try {
      r = schema.safeParse(value);
    } catch (e) {
      // a schema that refers to itself without end overflows the stack: the flow's fault, not ours
      throw new ValidationError(`input could not be checked against the flow's input schema: ${(e as Error).message}`);
    }
    if (r.success) return r.data;
    const lines = r.error.issues.map((i) => `input${formatPath(i.path)}: ${i.message}`);
    throw new ValidationError(`input does not match the flow's input schema:\n  - ${lines.join("\n  - ")}`, {
      details: { issues: r.error.issues },
    });
  }

  /** Resolves when the run settles as asked ("not-timer": only waits that are not timers left). */
  settled(runId: string, until: SettleUntil = "settled"): Promise<RunResult> {
    return new Promise((resolve) => {
      let set = this.watchers.get(runId);
      if (!set) this.watchers.set(runId, (set = new Set()));
      set.add({ until, resolve });
    });
  }

  /**
   * A finished run leaves the journal of open runs only once the run index holds its final
   * summary on disk: a crash in between makes the next start look at it again and put it in the
   * index, so the index never shows a finished run as running.
   */
  private closeFinished(state: RunState): void {
    this.opts.index.put(toRunSummary(state));
    const done: Promise<void> = this.opts.index
      .written()
      .then(() => this.opts.store.finish(state.id))
      .catch((e) => this.log(`keel: run ${state.id}: the run index could not be written: ${(e as Error)?.message ?? String(e)}`))
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }

  private onSettled(state: RunState): void {
    if (isFinished(state.status)) this.closeFinished(state);
    else this.opts.index.put(toRunSummary(state));
    if (this.live.get(state.id)?.state === state) this.live.delete(state.id);
    const set = this.watchers.get(state.id);
    if (!set) return;
    const result = toRunResult(state);
    const onTimer = Object.values(state.nodes).some((n) => n.status === "waiting" && n.wait?.kind === "timer");
    for (const w of set) {
      if (w.until === "not-timer" && onTimer && !isFinished(state.status)) continue;
      set.delete(w);
      w.resolve(result);
    }
    if (set.size === 0) this.watchers.delete(state.id);
  }

  private onWaiting(state: RunState, nodeId: string, wait: { kind: string; until?: number; data?: Record<string, unknown> }): void {
    if (wait.until !== undefined) this.arm(state.id, nodeId, wait.until);
    const handler = this.opts.waits?.[wait.kind];
    if (handler) {
      Promise.resolve(handler.onWait({ state, nodeId, wait })).catch((e) => this.deps.onError(state.id, e));
    }
  }

  private arm(runId: string, nodeId: string, until: number): void {
    const key = `${runId}/${nodeId}`;
    clearTimeout(this.timers.get(key));
    const delay = Math.max(0, Math.min(until - this.deps.now(), 2 ** 31 - 1));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (until > this.deps.now()) return this.arm(runId, nodeId, until);
        this.wake(runId, nodeId, { timedOut: true }).catch((e) => {
          if (!(e instanceof KeelError && e.code === "CONFLICT")) this.deps.onError(runId, e);
        });
      }, delay),
    );
  }

  /** Answers a waiting node (an approval decision, a timer) and continues its run. */
  async wake(runId: string, nodeId: string, wake: WakeValue): Promise<RunResult> {
    let exec = await this.settledExecution(runId);
    while (exec.finishing) exec = await this.settledExecution(runId); // it may have run out of work meanwhile
    void exec.wake(nodeId, wake); // throws CONFLICT at once when the node is not waiting
    // settling takes at least one turn of the event loop, so this watcher cannot miss it
    const done = this.settled(runId);
    const key = `${runId}/${nodeId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    return done;
  }

  /** Cancels a run: running nodes are aborted and nothing new starts. */
  async cancel(runId: string, reason = "canceled by the operator"): Promise<RunResult> {
    const exec = await this.settledExecution(runId);
    if (isFinished(exec.state.status)) {
      throw new KeelError("CONFLICT", `run ${runId} already ${exec.state.status}`);
    }
    for (const key of [...this.timers.keys()]) {
      if (key.startsWith(`${runId}/`)) {
        clearTimeout(this.timers.get(key));
        this.timers.delete(key);
      }
    }
    return toRunResult(await exec.cancel(reason));
  }

  /** The run's execution, once it is not in the middle of writing its last event. */
  private async settledExecution(runId: string): Promise<RunExecution> {
    for (;;) {
      const exec = await this.load(runId);
      if (!exec.finishing) return exec;
      await exec.drive();
    }
  }

  /**
   * Continues every run a crash or restart left open. Runs that were running go on from their
   * last checkpoint; waiting runs re-arm their timers (firing the ones that fell due). A run whose
   * log cannot be read (CORRUPT) is left untouched and reported to `onUnreadable`; without it, the
   * first such error is thrown once the other runs have settled.
   */
  async resumeAll(
    until: SettleUntil = "settled",
    options: { onUnreadable?: (runId: string, error: KeelError) => void } = {},
  ): Promise<RunResult[]> {
    const ids = await this.opts.store.openRuns();
    const results: Promise<RunResult>[] = [];
    const unreadable: KeelError[] = [];
    for (const runId of ids) {
      let exec: RunExecution;
      try {
        exec = await this.load(runId);
      } catch (e) {
        // one damaged log must not keep every other interrupted run from finishing
        unreadable.push(toKeelError(e));
        options.onUnreadable?.(runId, toKeelError(e));
        continue;
      }
      const s = exec.state;
      if (isFinished(s.status)) {
        // the crash came after the last event but before the run was closed
        this.closeFinished(s);
        this.live.delete(runId);
        continue;
      }
      if (s.status === "running") exec.emit({ type: "run.resumed", pid: process.pid });
      const done = this.settled(runId, until);
      void exec.drive();
      results.push(done);
    }
    const resumed = await Promise.all(results);
    if (unreadable.length && !options.onUnreadable) throw unreadable[0];
    return resumed;
  }

  /** The state of a run, live or read from its log. */
  async state(runId: string): Promise<RunState> {
    const exec = this.live.get(runId);
    if (exec) return exec.state;
    const log = await this.opts.store.read(runId);
    return foldEvents(runId, log.events);
  }

  /** The events of a run, read from its log. */
  async events(runId: string): Promise<RunEvent[]> {
    return (await this.opts.store.read(runId)).events;
  }

  private load(runId: string): Promise<RunExecution> {
    const exec = this.live.get(runId);
    if (exec) return Promise.resolve(exec);
    let p = this.loading.get(runId);
    if (!p) {
      p = (async () => {
        const log = await this.opts.store.reopen(runId);
        const state = foldEvents(runId, log.events);
        const e = new RunExecution(this.deps, prepareFlow(state.flow, this.opts.registry), state);
        this.live.set(runId, e);
        return e;
      })().finally(() => this.loading.delete(runId));
      this.loading.set(runId, p);
    }
    return p;
  }

  /** Runs currently held in memory (running, or being woken). */
  liveRuns(): number {
    return this.live.size;
  }

  /** Stops timers and waits for runs in memory to reach a resting point. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.flush();
  }

  /** Writes the run index now, and takes the runs that finished off the journal of open runs. */
  async flush(): Promise<void> {
    await this.opts.index.flush();
    await Promise.all(this.closing);
  }
}
