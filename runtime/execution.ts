/**
 * One run in motion: schedules its ready nodes, runs each under its policy, and records every
 * step as an event before acting on it. Owned by the Coordinator; never shared between runs.
 */
import { missingDoor, type Doors } from "./doors.ts";
import { KeelError, toKeelError, type SerializedError } from "./errors.ts";
import { evaluate, type ExpressionScope } from "./expressions.ts";
import { isSuspended, type NodeContext, type WakeValue } from "./node.ts";
import type { PreparedFlow, PreparedNode } from "./prepare.ts";
import { backoffDelay } from "./retry.ts";
import type { RunEvent, RunEventBody } from "./schema/events.ts";
import { applyEvent, isFinished, type RunState } from "./state.ts";
import type { EngineDeps } from "./engine-deps.ts";
import { spendOf } from "./models/usage.ts";

/** A crash-interrupted attempt does not count against the retry policy, up to this many. */
const MAX_INTERRUPTIONS = 10;

const noDoors: Doors = {
  outbox: missingDoor("the outbox"),
  credentials: missingDoor("the credential vault"),
  models: missingDoor("the model interface"),
  memory: missingDoor("memory"),
};

/**
 * Runs of quick nodes advance in microtasks, which never let the event loop poll for I/O: ten
 * busy runs would hold API requests for hundreds of ms. After SLICE_MS of such work, the next
 * node to start waits one turn of the loop (setImmediate), so requests are served in between.
 */
const SLICE_MS = 2;
let sliceStart: number | undefined;
function yieldWhenBusy(): Promise<void> | undefined {
  const now = performance.now();
  if (sliceStart === undefined) {
    sliceStart = now;
    setImmediate(() => (sliceStart = undefined)); // the loop turned: the next slice starts afresh
    return undefined;
  }
  if (now - sliceStart < SLICE_MS) return undefined;
  return new Promise((resolve) => setImmediate(resolve));
}

/** The idempotency key of an action: the same for every attempt and resume of a run's node. */
export function idempotencyKey(runId: string, nodeId: string): string {
  return `keel:${runId}:${nodeId}`;
}

export class RunExecution {
  readonly state: RunState;
  private readonly prepared: PreparedFlow;
  private readonly deps: EngineDeps;
  private readonly running = new Map<string, AbortController>();
  /** Aborted on cancel; a node with a timeout gets a controller of its own, linked to this one. */
  private readonly runAbort = new AbortController();
  private readonly ready: string[] = [];
  private readonly scope: ExpressionScope;
  private readonly limit: number;
  private canceled: string | undefined;
  private idle: (() => void) | undefined;
  private driving: Promise<RunState> | undefined;
  private closing = false;
  /** Emitted events not yet written and told to listeners. */
  private unpublished: RunEvent[] = [];
  private readonly publishSoon = () => {
    try {
      this.publish();
    } catch (e) {
      this.deps.onError(this.state.id, e);
    }
  };

  constructor(deps: EngineDeps, prepared: PreparedFlow, state: RunState) {
    this.deps = deps;
    this.prepared = prepared;
    this.state = state;
    this.limit = prepared.flow.concurrency ?? deps.concurrency ?? 4;
    const nodes: Record<string, { output: unknown }> = {};
    for (const [id, n] of Object.entries(state.nodes)) {
      if (n.status === "succeeded") nodes[id] = { output: n.output };
      else if (n.status === "failed") nodes[id] = { output: { error: n.error } };
    }
    this.scope = { input: state.input, nodes, run: { id: state.id, startedAt: state.startedAt } };
  }

  /**
   * Appends an event and applies it to the state. The events of one moment reach the operating
   * system in one write, and listeners hear of them, in `publish`: before any node code, wait
   * handler or sync runs, and at the latest at the end of this turn of the event loop.
   */
  emit(body: RunEventBody): RunEvent {
    const safe = this.deps.redact ? this.deps.redact(this.state.id, body) : body;
    const event = this.deps.store.append(this.state.id, { ...safe, ts: this.deps.now() }, DEFER);
    applyEvent(this.state, event);
    if (event.type === "node.succeeded") this.scope.nodes[event.node] = { output: event.output };
    if (this.unpublished.push(event) === 1) setImmediate(this.publishSoon);
    return event;
  }

  /** Emits an event from inside node code (a log line, a trace): written before the node goes on. */
  private emitNow(body: RunEventBody): RunEvent {
    const event = this.emit(body);
    this.publish();
    return event;
  }

  /** Writes the events emitted so far (one write(2)), then tells listeners about them. */
  publish(): void {
    if (this.unpublished.length === 0) return;
    this.deps.store.flush(this.state.id);
    const events = this.unpublished;
    this.unpublished = [];
    for (const e of events) this.deps.onEvent(this.state.id, e);
  }

  /** Runs until nothing more can happen now: the run finished or waits. Safe to call again. */
  drive(): Promise<RunState> {
    this.driving ??= this.driveOnce().finally(() => (this.driving = undefined));
    return this.driving;
  }

  /**
   * True once the drive has run out of work and is writing the run's last event (or its waiting
   * mark), then letting go of its log: a wake or cancel must wait for it and load the run again.
   */
  get finishing(): boolean {
    return this.closing || (this.driving !== undefined && this.idle === undefined);
  }

  /** Answers a waiting node; the run continues from it. Throws CONFLICT if it is not waiting. */
  wake(nodeId: string, wake: WakeValue): Promise<RunState> {
    const n = this.state.nodes[nodeId];
    if (!n || n.status !== "waiting" || n.wake) {
      throw new KeelError("CONFLICT", `run ${this.state.id}: node "${nodeId}" is not waiting (it is ${n?.status ?? "unknown"})`);
    }
    if (this.state.status === "waiting") this.emit({ type: "run.resumed", pid: process.pid });
    this.emit({ type: "node.woken", node: nodeId, timedOut: wake.timedOut, value: wake.value });
    if (!this.driving) return this.drive();
    this.enqueue(nodeId);
    this.pump();
    return this.driving;
  }

  /** Stops the run: running nodes are aborted, nothing new starts. */
  cancel(reason: string): Promise<RunState> {
    if (isFinished(this.state.status)) return Promise.resolve(this.state);
    this.canceled = reason;
    const why = new KeelError("CANCELED", `run canceled: ${reason}`);
    this.runAbort.abort(why);
    for (const c of this.running.values()) c.abort(why);
    if (!this.driving) return this.drive();
    this.pump();
    return this.driving;
  }

  private async driveOnce(): Promise<RunState> {
    if (isFinished(this.state.status)) return this.state;
    const idle = new Promise<void>((resolve) => (this.idle = resolve));
    if (!this.stopping()) {
      const now = this.deps.now();
      for (const id of this.prepared.graph.order) {
        const n = this.state.nodes[id];
        if (n.status === "pending" || n.status === "running") this.examine(id);
        else if (n.status === "waiting") {
          if (n.wake) this.enqueue(id);
          else if (n.wait?.until !== undefined && n.wait.until <= now) {
            this.emit({ type: "node.woken", node: id, timedOut: true });
            this.enqueue(id);
          } else {
            this.publish();
            this.deps.onWaiting(this.state, id, n.wait!);
          }
        }
      }
    }
    this.pump();
    await idle;
    this.closing = true;
    try {
      await this.finish();
    } finally {
      this.closing = false;
    }
    return this.state;
  }

  private stopping(): boolean {
    return this.canceled !== undefined || this.state.failedNode !== undefined;
  }

  /**
   * Decides a node whose predecessors may all be done: skip it, queue it, or leave it. Skips
   * spread downstream through a work list, not recursion: an untaken branch may lead to
   * thousands of nodes.
   */
  private examine(first: string): void {
    const todo = [first];
    next: while (todo.length) {
      const id = todo.pop()!;
      const n = this.state.nodes[id];
      if (n.status !== "pending" && n.status !== "running") continue;
      const incoming = this.prepared.graph.incoming.get(id)!;
      let active = incoming.length === 0;
      for (const e of incoming) {
        const src = this.state.nodes[e.from];
        if (src.status === "succeeded") {
          if (e.when === undefined || e.when === src.port) active = true;
        } else if (src.status === "failed") {
          if (e.when === undefined) active = true; // a failure let through by onError: continue
        } else if (src.status !== "skipped") continue next; // still to come
      }
      if (active) this.enqueue(id);
      else {
        this.emit({ type: "node.skipped", node: id, reason: "no active input (branch not taken)" });
        const out = this.prepared.graph.outgoing.get(id)!;
        for (let i = out.length - 1; i >= 0; i--) todo.push(out[i].to); // same order as before: depth first, in edge order
      }
    }
  }

  private examineNext(id: string): void {
    for (const e of this.prepared.graph.outgoing.get(id)!) this.examine(e.to);
  }

  private enqueue(id: string): void {
    if (!this.ready.includes(id) && !this.running.has(id)) this.ready.push(id);
  }

  private pump(): void {
    while (this.ready.length && this.running.size < this.limit && !this.stopping()) {
      const id = this.ready.shift()!;
      const controller = this.prepared.nodes.get(id)!.node.timeoutMs === undefined ? this.runAbort : linked(this.runAbort.signal);
      this.running.set(id, controller);
      this.runNode(id, controller)
        .catch((e) => this.deps.onError(this.state.id, e))
        .finally(() => {
          this.running.delete(id);
          this.pump();
        });
    }
    if (this.running.size === 0 && (this.ready.length === 0 || this.stopping())) {
      const idle = this.idle;
      this.idle = undefined;
      idle?.();
    }
  }

  private inputOf(id: string): Record<string, unknown> {
    const input: Record<string, unknown> = {};
    for (const e of this.prepared.graph.incoming.get(id)!) {
      const src = this.state.nodes[e.from];
      if (src.status === "succeeded" && (e.when === undefined || e.when === src.port)) input[e.from] = src.output;
      else if (src.status === "failed" && e.when === undefined) input[e.from] = { error: src.error };
    }
    return input;
  }

  private async runNode(id: string, controller: AbortController): Promise<void> {
    const turn = yieldWhenBusy();
    if (turn) {
      await turn;
      if (this.stopping()) return; // canceled or failed meanwhile: the node never started
    }
    const p = this.prepared.nodes.get(id)!;
    const n = this.state.nodes[id];
    const wake = n.status === "waiting" ? n.wake : undefined;
    let attempt = n.attempts;
    for (;;) {
      if (!wake) {
        attempt++;
        if (attempt - n.retries > MAX_INTERRUPTIONS) {
          this.fail(p, attempt - 1, new KeelError("INTERNAL", `${p.label} was interrupted ${MAX_INTERRUPTIONS} times; giving up`));
          return;
        }
        this.emit({ type: "node.started", node: id, attempt });
      }
      const began = performance.now();
      try {
        const output = await this.attempt(p, attempt, wake, controller);
        if (output === SUSPENDED) return;
        const port = p.def.port?.(output);
        this.emit({ type: "node.succeeded", node: id, attempt, output, ms: round(performance.now() - began), ...(port === undefined ? {} : { port }) });
        this.examineNext(id);
        return;
      } catch (e) {
        const error = toKeelError(controller.signal.aborted && this.canceled ? controller.signal.reason : e);
        const counted = n.retries + 1; // attempts that failed, this one included
        if (error.retryable && counted < p.retry.attempts && !this.stopping()) {
          const delayMs = backoffDelay(p.retry, counted + 1, this.deps.random);
          this.emit({ type: "node.retry", node: id, attempt, error: error.toJSON(), delayMs });
          await sleep(delayMs, controller.signal);
          if (!this.stopping() && !wake) continue;
        }
        this.fail(p, attempt, error, performance.now() - began);
        return;
      }
    }
  }

  private fail(p: PreparedNode, attempt: number, error: KeelError, ms = 0): void {
    const serialized: SerializedError = error.toJSON();
    this.emit({ type: "node.failed", node: p.node.id, attempt, error: serialized, ms: round(ms) });
    if (p.node.onError === "continue") {
      this.scope.nodes[p.node.id] = { output: { error: serialized } };
      this.examineNext(p.node.id);
    }
  }

  /** One call of a node's run: params, intent (actions), timeout, suspension. */
  private async attempt(p: PreparedNode, attempt: number, wake: WakeValue | undefined, controller: AbortController): Promise<unknown> {
    const id = p.node.id;
    const params = p.staticParams ?? parseParams(p, await evaluate(p.params, this.scope));
    const key = idempotencyKey(this.state.id, id);
    if (p.def.kind === "action") {
      this.emit({ type: "node.intent", node: id, attempt, key });
      await this.deps.store.sync(); // the call leaves Keel: its intent must survive a power cut
    }
    const timeoutMs = p.node.timeoutMs;
    // a timeout aborts this attempt only: the retries after it need a signal that is not aborted
    const attemptAbort = timeoutMs === undefined ? controller : linked(controller.signal);
    const ctx = this.context(p, params, attempt, key, attemptAbort.signal, wake);
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.publish(); // everything up to node.started is written before the node's code runs
    const pending = Promise.resolve(p.def.run(ctx));
    const result = await (timeoutMs === undefined
      ? pending
      : Promise.race([
          pending,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = new KeelError("TIMEOUT", `${p.label} timed out after ${timeoutMs} ms`);
              attemptAbort.abort(err);
              reject(err);
            }, timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer)));
    if (isSuspended(result)) {
      const wait = result.wait;
      this.emit({ type: "node.waiting", node: id, attempt, wait: { kind: wait.kind, ...(wait.until === undefined ? {} : { until: wait.until }), ...(wait.data ? { data: wait.data } : {}) } });
      this.publish();
      this.deps.onWaiting(this.state, id, this.state.nodes[id].wait!);
      return SUSPENDED;
    }
    return normalizeOutput(result, p.label);
  }

  private context(p: PreparedNode, params: unknown, attempt: number, key: string, signal: AbortSignal, wake: WakeValue | undefined): NodeContext {
    const id = p.node.id;
    const run = { id: this.state.id, flowId: this.state.flow.id, startedAt: this.state.startedAt, input: this.state.input };
    const log = (message: string, data?: unknown) =>
      this.emitNow({ type: "node.log", node: id, message: String(message), ...(data === undefined ? {} : { data: normalizeOutput(data, p.label) }) });
    const ctx: NodeContext = {
      outbox: noDoors.outbox,
      credentials: noDoors.credentials,
      models: noDoors.models,
      memory: noDoors.memory,
      params,
      input: this.inputOf(id),
      run,
      nodeId: id,
      attempt,
      idempotencyKey: key,
      signal,
      log,
      wake,
    };
    return p.def.kind === "pure" || !this.deps.doors ? ctx : this.withDoors(ctx, id, attempt, signal);
  }

  /**
   * The context of a node that may reach outside Keel, with its doors opened when it first
   * reaches for one (most calls use none, or one). Kept apart so pure nodes build none of it.
   */
  private withDoors(ctx: NodeContext, id: string, attempt: number, signal: AbortSignal): NodeContext {
    const open = this.deps.doors!;
    let opened: Doors | undefined;
    const doors = (): Doors =>
      (opened ??= {
        ...noDoors,
        ...open({
          runId: this.state.id,
          flowId: this.state.flow.id,
          nodeId: id,
          attempt,
          signal,
          trace: (kind, data) => this.emitNow({ type: "node.trace", node: id, kind, data }),
          registerSecret: (name, value) => this.deps.registerSecret?.(this.state.id, name, value),
          budget: this.state.flow.budget,
          spent: () => spendOf(this.state.usage),
        }),
      });
    return {
      ...ctx,
      get outbox() {
        return doors().outbox;
      },
      get credentials() {
        return doors().credentials;
      },
      get models() {
        return doors().models;
      },
      get memory() {
        return doors().memory;
      },
    };
  }

  /** Writes the run's last event (or its waiting mark), compensating first if the flow asks. */
  private async finish(): Promise<void> {
    const s = this.state;
    if (this.canceled !== undefined) this.emit({ type: "run.canceled", reason: this.canceled });
    else if (s.failedNode !== undefined) {
      if (s.flow.onFailure === "compensate") await this.compensate();
      const err = s.nodes[s.failedNode].error!;
      this.emit({ type: "run.failed", node: s.failedNode, error: { ...err, message: `node "${s.failedNode}" failed: ${err.message}` } });
    } else if (Object.values(s.nodes).some((n) => n.status === "waiting")) {
      if (s.status !== "waiting") this.emit({ type: "run.waiting" });
    } else {
      const output: Record<string, unknown> = {};
      for (const id of this.prepared.graph.sinks) if (s.nodes[id].status === "succeeded") output[id] = s.nodes[id].output;
      this.emit({ type: "run.succeeded", output });
    }
    await this.deps.store.sync(); // the run is reported finished (or waiting) only once durable
    this.publish();
    this.deps.store.release(s.id); // the coordinator closes a finished run once the run index has it
    this.deps.onSettled(s);
  }

  /** Saga: undo finished actions in reverse order of completion; each step is recorded. */
  private async compensate(): Promise<void> {
    const done = Object.entries(this.state.nodes)
      .filter(([id, n]) => n.status === "succeeded" && this.prepared.nodes.get(id)!.def.compensate)
      .sort(([, a], [, b]) => b.doneSeq! - a.doneSeq!);
    for (const [id, n] of done) {
      if (this.state.compensations[id] === "succeeded" || this.state.compensations[id] === "failed") continue;
      const p = this.prepared.nodes.get(id)!;
      const key = `${idempotencyKey(this.state.id, id)}:compensate`;
      this.emit({ type: "compensation.started", node: id, key });
      await this.deps.store.sync();
      const controller = new AbortController();
      try {
        const params = p.staticParams ?? parseParams(p, await evaluate(p.params, this.scope));
        const ctx = this.context(p, params, n.attempts, key, controller.signal, undefined);
        this.publish();
        await p.def.compensate!(ctx, n.output);
        this.emit({ type: "compensation.succeeded", node: id });
      } catch (e) {
        this.emit({ type: "compensation.failed", node: id, error: toKeelError(e).toJSON() });
      }
    }
  }
}

const SUSPENDED = Symbol("suspended");
const DEFER = { defer: true } as const;

function parseParams(p: PreparedNode, resolved: unknown): unknown {
  const r = p.def.params.safeParse(resolved);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("");
  throw new KeelError("VALIDATION", `${p.label} params${where}: ${issue.message} (after evaluating expressions)`, {
    details: { issues: r.error.issues },
  });
}

/** Outputs are stored as JSON; the in-memory copy is the same JSON, so a resumed run sees what an uninterrupted one did. */
export function normalizeOutput(value: unknown, label: string): unknown {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new KeelError("VALIDATION", `${label} returned a value that is not JSON: ${(e as Error).message}`);
  }
  return text === undefined ? null : JSON.parse(text);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A controller of a node's own that also aborts when the run does. */
function linked(parent: AbortSignal): AbortController {
  const c = new AbortController();
  if (parent.aborted) c.abort(parent.reason);
  else parent.addEventListener("abort", () => c.abort(parent.reason), { once: true });
  return c;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
