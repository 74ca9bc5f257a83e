/**
 * The approval desk: the coordinator's wait handler for `approval` waits, and the one place
 * decisions go through (API, CLI). It keeps the approval store and the run logs in step:
 *
 * - A node suspends: the wait is made durable (run log synced), then the approval record is
 *   written (durably) and only then listed. Called again after every restart: idempotent.
 * - A decision: checked against the record and the run, recorded once (compare-and-set in the
 *   store), then the node is woken. A crash between the two is healed on restart: the node still
 *   waits, the record is decided, so the desk wakes it with the recorded decision.
 * - A timeout is fired by the coordinator (the wait's `until` is the deadline, so one that fell
 *   due while Keel was down fires on start); the desk records its outcome when the node finishes.
 */
import type { Coordinator, SettleUntil, WaitHandler } from "../coordinator.ts";
import { KeelError, ValidationError } from "../errors.ts";
import type { RunResult } from "../result.ts";
import type { RunEvent } from "../schema/events.ts";
import type { RunState } from "../state.ts";
import { spendOf } from "../models/usage.ts";
import {
  applyEdits,
  approvalIdOf,
  type Approval,
  type ApprovalStatus,
  type ApprovalStore,
  type ApprovalWake,
  type DecisionRequest,
  type EvidenceItem,
  type TimeoutPolicy,
} from "./types.ts";

/** Options for an ApprovalDesk. */
export interface ApprovalDeskOptions {
  store: ApprovalStore;
  /** Makes the run logs durable (the event store's sync). */
  syncLog: () => Promise<void>;
  /**
   * The status of a run as the run index has it (in memory, no log read). When it says
   * "waiting", a decision goes straight to the run; a stale answer costs nothing but a CONFLICT.
   */
  runStatus?: (runId: string) => Promise<string | undefined>;
  now?: () => number;
  log?: (message: string) => void;
}

/** Something that changed in the inbox. */
export type ApprovalChange = { type: "created" | "decided"; approval: Approval };

const MAX_REASON = 2000;

export class ApprovalDesk implements WaitHandler {
  private readonly opts: ApprovalDeskOptions;
  private coordinator: Coordinator | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(change: ApprovalChange) => void>();
  private readonly now: () => number;

  constructor(opts: ApprovalDeskOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  get store(): ApprovalStore {
    return this.opts.store;
  }

  /** Connects the desk to the coordinator whose `waits.approval` it is (built after it). */
  attach(coordinator: Coordinator): () => void {
    this.coordinator = coordinator;
    return coordinator.on((runId, event) => this.onEvent(runId, event));
  }

  /** Listens to approvals created and decided. Returns an unsubscribe function. */
  on(listener: (change: ApprovalChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The wait handler: creates the approval (or, after a crash, finishes a recorded decision). */
  onWait(info: { state: RunState; nodeId: string; wait: { kind: string; until?: number; data?: Record<string, unknown> } }): Promise<void> {
    return this.track(this.show(info.state, info.nodeId, info.wait));
  }

  /** Resolves when no approval is being written (call before closing the process). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    await this.opts.store.flush();
  }

  get(id: string): Promise<Approval | undefined> {
    return this.opts.store.get(id);
  }

  list(query: { status?: ApprovalStatus; limit?: number } = {}): Promise<Approval[]> {
    return this.opts.store.list(query);
  }

  /**
   * Records an operator's decision and wakes the run. Refused with CONFLICT when the approval
   * was decided already (also by a racing request), timed out, or its run ended. With
   * `awaitRun`, `settled` resolves when the run reaches its next wait or its end.
   */
  async decide(id: string, request: DecisionRequest, options: { awaitRun?: SettleUntil } = {}): Promise<{ approval: Approval; settled?: Promise<RunResult> }> {
    const req = checkRequest(request);
    const coordinator = this.need();
    const found = await this.opts.store.get(id);
    if (!found) throw new KeelError("NOT_FOUND", `no approval "${id}"`);
    if (found.status !== "pending") throw alreadyClosed(found);
    if (Date.parse(found.due) <= this.now()) {
      throw new KeelError("CONFLICT", `approval ${id} expired at ${found.due}; its timeout (onTimeout: ${found.onTimeout}) applies instead`, { details: { approval: found } });
    }
    // the index answers from memory; only when it does not say "waiting" is the run's log read
    if ((await this.opts.runStatus?.(found.run).catch(() => undefined)) !== "waiting") {
      const state = await coordinator.state(found.run);
      const node = state.nodes[found.node];
      if (!node || node.status !== "waiting" || node.wake) {
        const fixed = await this.reconcileOne(found, state);
        throw alreadyClosed(fixed ?? found, `its run ${found.run} is no longer waiting for it (node "${found.node}" is ${node?.status ?? "gone"})`);
      }
    }
    const at = new Date(this.now()).toISOString();
    const approve = req.decision === "approve";
    const proposal = approve && req.edits ? applyEdits(found.proposal, req.edits) : found.proposal;
    const settled = options.awaitRun ? coordinator.settled(found.run, options.awaitRun) : undefined;
    let woken: Promise<void> | undefined;
    const decision = {
      by: "operator" as const,
      at,
      ...(req.reason ? { reason: req.reason } : {}),
      ...(approve && req.edits ? { edits: req.edits } : {}),
      ...(approve ? { proposal } : {}),
    };
    // the run is woken as soon as the decision wins, while the record is being made durable
    const decided = await this.opts.store.decide(id, approve ? "approved" : "rejected", decision, {
      onClaimed: (claimed) => {
        woken = this.wake(claimed);
        woken.catch(() => {}); // awaited below
      },
    });
    this.emit({ type: "decided", approval: decided });
    try {
      await woken;
    } catch (e) {
      if (!(e instanceof KeelError && e.code === "CONFLICT")) throw e;
      // the deadline's timer won the race by a hair: the run took the timeout's path
      const now = await coordinator.state(found.run);
      const fixed = await this.reconcileOne(decided, now, { force: true });
      throw alreadyClosed(fixed ?? decided, "its timeout fired before the decision reached the run");
    }
    return { approval: decided, settled };
  }

  /**
   * Brings pending records in line with their runs (after a crash between a run's step and the
   * store's): approvals whose node is no longer waiting take the outcome the run shows.
   */
  async reconcile(): Promise<number> {
    const coordinator = this.need();
    let fixed = 0;
    for (const entry of await this.opts.store.pending()) {
      const a = await this.opts.store.get(entry.id);
      if (!a || a.status !== "pending") continue;
      let state: RunState;
      try {
        state = await coordinator.state(a.run);
      } catch {
        continue; // a run that cannot be read keeps its approval pending; the run log says why
      }
      if (await this.reconcileOne(a, state)) fixed++;
    }
    return fixed;
  }

  private async show(state: RunState, nodeId: string, wait: { until?: number; data?: Record<string, unknown> }): Promise<void> {
    const id = approvalIdOf(state.id, nodeId);
    const existing = await this.opts.store.get(id);
    if (existing) {
      if (existing.status === "approved" || existing.status === "rejected") {
        if (existing.decision?.by === "operator") await this.wake(existing).catch(ignoreConflict);
        return;
      }
      if (existing.status === "pending") await this.opts.store.create(existing); // re-lists it if the index lost it
      return;
    }
    await this.opts.syncLog(); // nobody sees an approval whose wait could still be lost
    const created = await this.opts.store.create(recordOf(state, nodeId, id, wait, this.now()));
    this.emit({ type: "created", approval: created });
  }

  /** Wakes the approval's node with its recorded decision; resolves once the wake is in the log. */
  private async wake(a: Approval): Promise<void> {
    const coordinator = this.need();
    const value: ApprovalWake = {
      approvalId: a.id,
      decision: a.status === "approved" ? "approve" : "reject",
      at: a.decision!.at,
      ...(a.decision?.reason ? { reason: a.decision.reason } : {}),
      ...(a.decision?.edits ? { edits: a.decision.edits } : {}),
    };
    let off = () => {};
    const woken = new Promise<void>((resolve) => {
      off = coordinator.on((runId, e) => {
        if (runId === a.run && e.type === "node.woken" && e.node === a.node) resolve();
      });
    });
    const settled = coordinator.wake(a.run, a.node, { timedOut: false, value });
    try {
      await Promise.race([woken, settled]);
    } finally {
      off();
      settled.catch(() => {}); // faults after the wake are the engine's to report
    }
  }

  private onEvent(runId: string, e: RunEvent): void {
    if (e.type === "node.succeeded") {
      // an approval node finished: its record takes the outcome if it is still open (a timeout; or a
      // decision whose record a crash lost after the run's log had it)
      const out = e.output as { approvalId?: unknown; by?: unknown; decision?: unknown; proposal?: unknown; reason?: unknown; edits?: unknown; decidedAt?: unknown } | null;
      if (out && typeof out.approvalId === "string" && (out.by === "timeout" || out.by === "operator")) {
        const status = (out.decision === "approved" || out.decision === "rejected" || out.decision === "escalated" ? out.decision : "rejected") as Exclude<ApprovalStatus, "pending">;
        this.track(this.closeIfPending(out.approvalId, status, {
          by: out.by,
          at: typeof out.decidedAt === "string" ? out.decidedAt : new Date(e.ts).toISOString(),
          ...(typeof out.reason === "string" ? { reason: out.reason } : {}),
          ...(out.edits && typeof out.edits === "object" ? { edits: out.edits as Record<string, unknown> } : {}),
          ...(status === "rejected" ? {} : { proposal: out.proposal }),
        }));
      }
    } else if (e.type === "run.canceled" || e.type === "run.failed") {
      const why = e.type === "run.canceled" ? `the run was canceled: ${e.reason}` : `the run failed: ${e.error.message}`;
      this.track(this.closeRun(runId, why, e.ts));
    }
  }

  private async closeRun(runId: string, reason: string, ts: number): Promise<void> {
    for (const entry of await this.opts.store.pending()) {
      if (entry.run === runId) await this.closeIfPending(entry.id, "canceled", { by: "run", at: new Date(ts).toISOString(), reason });
    }
  }

  private async closeIfPending(id: string, status: Exclude<ApprovalStatus, "pending">, decision: Approval["decision"] & object): Promise<void> {
    const a = await this.opts.store.get(id);
    if (!a || a.status !== "pending") return;
    try {
      this.emit({ type: "decided", approval: await this.opts.store.decide(id, status, decision) });
    } catch (e) {
      ignoreConflict(e);
    }
  }

  /** Takes the outcome the run shows for an approval whose node no longer waits; undefined if it still waits. */
  private async reconcileOne(a: Approval, state: RunState, options: { force?: boolean } = {}): Promise<Approval | undefined> {
    const node = state.nodes[a.node];
    if (node && node.status === "waiting" && !node.wake) return undefined;
    let status: Exclude<ApprovalStatus, "pending">;
    let decision: NonNullable<Approval["decision"]>;
    const out = node?.status === "succeeded" ? (node.output as { decision?: string; by?: string; proposal?: unknown; reason?: string; edits?: Record<string, unknown>; decidedAt?: string }) : undefined;
    if (out && (out.decision === "approved" || out.decision === "rejected" || out.decision === "escalated")) {
      status = out.decision;
      decision = {
        by: out.by === "timeout" ? "timeout" : "operator",
        at: out.decidedAt ?? new Date(state.updatedAt).toISOString(),
        ...(out.reason ? { reason: out.reason } : {}),
        ...(out.edits ? { edits: out.edits } : {}),
        ...(status === "rejected" ? {} : { proposal: out.proposal }),
      };
    } else if (node?.status === "waiting" && node.wake) {
      if (!node.wake.timedOut && !options.force) return undefined; // the decision is on its way in
      if (!node.wake.timedOut) return a;
      status = a.onTimeout === "approve" ? "approved" : a.onTimeout === "escalate" ? "escalated" : "rejected";
      decision = { by: "timeout", at: new Date(state.updatedAt).toISOString(), reason: `no decision by ${a.due}` };
    } else if (state.status === "running" || state.status === "waiting") {
      return undefined; // the node will run again (a crash interrupted it): it asks again
    } else {
      status = "canceled";
      decision = { by: "run", at: new Date(state.updatedAt).toISOString(), reason: `the run ${state.status} before a decision` };
    }
    if (a.status === status && a.decision?.by === decision.by) return a;
    const fixed = await this.opts.store.correct(a.id, status, decision);
    this.emit({ type: "decided", approval: fixed });
    return fixed;
  }

  private emit(change: ApprovalChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (e) {
        this.report(e);
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const tracked = p.catch((e) => {
      this.report(e);
      return undefined as T;
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
    return tracked;
  }

  private report(e: unknown): void {
    (this.opts.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(`keel: approvals: ${(e as Error)?.stack ?? String(e)}`);
  }

  private need(): Coordinator {
    if (!this.coordinator) throw new KeelError("INTERNAL", "the approval desk is not attached to a coordinator");
    return this.coordinator;
  }
}

function recordOf(state: RunState, nodeId: string, id: string, wait: { until?: number; data?: Record<string, unknown> }, now: number): Approval {
  const d = wait.data ?? {};
  const created = new Date(now).toISOString();
  const spend = spendOf(state.usage);
  const policy = d.onTimeout;
  return {
    id,
    run: state.id,
    node: nodeId,
    flow: state.flow.id,
    flowName: state.flow.name,
    title: typeof d.title === "string" ? d.title : nodeId,
    proposal: d.proposal ?? null,
    evidence: Array.isArray(d.evidence) ? (d.evidence as EvidenceItem[]) : [],
    confidence: typeof d.confidence === "number" ? d.confidence : null,
    autoApproveAbove: typeof d.autoApproveAbove === "number" ? d.autoApproveAbove : null,
    cost: { usd: spend.costUsd, tokens: spend.tokens },
    created,
    due: wait.until === undefined ? created : new Date(wait.until).toISOString(),
    onTimeout: policy === "approve" || policy === "escalate" ? (policy as TimeoutPolicy) : "reject",
    ...(typeof d.escalateTo === "string" ? { escalateTo: d.escalateTo } : {}),
    status: "pending",
  };
}

function checkRequest(r: DecisionRequest): DecisionRequest {
  if (r === null || typeof r !== "object") throw new ValidationError("a decision is { decision: \"approve\" | \"reject\", reason?, edits? }");
  const extra = Object.keys(r).filter((k) => !["decision", "reason", "edits"].includes(k));
  if (extra.length) throw new ValidationError(`unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")} (a decision is { decision, reason?, edits? })`);
  if (r.decision !== "approve" && r.decision !== "reject") throw new ValidationError(`decision must be "approve" or "reject", got ${JSON.stringify(r.decision)?.slice(0, 50)}`);
  if (r.reason !== undefined && (typeof r.reason !== "string" || r.reason.length > MAX_REASON)) throw new ValidationError(`reason must be text of at most ${MAX_REASON} characters`);
  if (r.edits !== undefined) {
    if (r.edits === null || typeof r.edits !== "object" || Array.isArray(r.edits)) throw new ValidationError("edits must be an object of proposal fields");
    if (r.decision === "reject") throw new ValidationError("edits go with an approval (edit-and-approve), not a rejection");
  }
  const reason = r.reason?.trim();
  return { decision: r.decision, ...(reason ? { reason } : {}), ...(r.edits && Object.keys(r.edits).length ? { edits: r.edits } : {}) };
}

function alreadyClosed(a: Approval, why?: string): KeelError {
  const how = a.decision ? ` (${a.decision.by}${a.decision.at ? ` at ${a.decision.at}` : ""}${a.decision.reason ? `: ${a.decision.reason}` : ""})` : "";
  const text = a.status === "pending" ? `approval ${a.id} cannot be decided: ${why}` : `approval ${a.id} was already decided: ${a.status}${how}`;
  return new KeelError("CONFLICT", text, { details: { approval: a } });
}

function ignoreConflict(e: unknown): void {
  if (!(e instanceof KeelError && e.code === "CONFLICT")) throw e;
}
