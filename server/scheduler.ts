/**
 * Runs saved flows that start with trigger.schedule. croner reads the expressions (with time
 * zones); the scheduler keeps one timer per schedule, armed for its next due time, and records
 * the due time of the last run it started in `<data>/schedules.json`, so that on start it can
 * tell what was missed while Keel was down: one catch-up run (catchUp: once) or none (skip).
 * Saved flows are re-read every `refreshMs` (and on `refresh()`), so edits take effect.
 */
import path from "node:path";
import { Cron } from "croner";
import { Low } from "lowdb";
import type { Flow } from "../runtime/schema/flow.ts";
import { scheduleParams, type ScheduledInput, type ScheduleParams } from "../nodes/trigger-schedule.ts";
import { DurableJSONFile } from "../storage/docs/durable-json-file.ts";
import type { Keel } from "./keel.ts";

/** Options for a Scheduler. */
export interface SchedulerOptions {
  keel: Keel;
  now?: () => number;
  log?: (line: string) => void;
  /** How often saved flows are re-read for schedule changes (default 30 s). */
  refreshMs?: number;
}

interface Job {
  key: string;
  flowId: string;
  nodeId: string;
  params: ScheduleParams;
  cron: Cron;
  timer?: ReturnType<typeof setTimeout>;
}

/** Most missed times counted for a catch-up run (the count is a hint; the run happens once). */
const MAX_COUNTED = 10_000;

export class Scheduler {
  private readonly keel: Keel;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly refreshMs: number;
  private readonly jobs = new Map<string, Job>();
  private readonly seen = new Map<string, string>(); // flow id -> updatedAt
  private state: Low<{ schedules: Record<string, { lastRun: string; runId?: string }> }> | undefined;
  private refresher: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private refreshing: Promise<void> | undefined;

  constructor(opts: SchedulerOptions) {
    this.keel = opts.keel;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.refreshMs = opts.refreshMs ?? 30_000;
  }

  /** Reads the saved flows, makes up for missed times and arms every schedule. Resolves with the catch-up runs started. */
  async start(): Promise<string[]> {
    this.state = new Low(new DurableJSONFile(path.join(this.keel.dataDir, "schedules.json")), { schedules: {} });
    await this.state.read();
    this.state.data ??= { schedules: {} };
    this.state.data.schedules ??= {};
    const started = await this.sync({ catchUp: true });
    this.refresher = setInterval(() => void this.refresh(), this.refreshMs);
    this.refresher.unref();
    return started;
  }

  /** Re-reads saved flows now (e.g. after one was saved). */
  refresh(): Promise<void> {
    this.refreshing ??= this.sync({ catchUp: false })
      .then(() => undefined, (e) => this.log(`keel: scheduler: ${(e as Error).message}`))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Schedules armed now: `flowId/nodeId` → next due time. */
  next(): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const job of this.jobs.values()) out[job.key] = job.cron.nextRun(new Date(this.now()))?.toISOString() ?? null;
    return out;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.refresher);
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.jobs.clear();
  }

  private async sync(opts: { catchUp: boolean }): Promise<string[]> {
    const started: string[] = [];
    const summaries = await this.keel.flows.list();
    const present = new Set(summaries.map((f) => f.id));
    for (const job of [...this.jobs.values()]) {
      if (!present.has(job.flowId)) this.drop(job.key);
    }
    for (const s of summaries) {
      if (this.seen.get(s.id) === s.updatedAt) continue;
      this.seen.set(s.id, s.updatedAt);
      const flow = await this.keel.flows.get(s.id).catch(() => undefined);
      if (!flow) continue;
      const wanted = new Map<string, ScheduleParams>();
      for (const node of flow.nodes) {
        if (node.type !== "trigger.schedule") continue;
        const p = scheduleParams(node.params);
        if (p) wanted.set(`${flow.id}/${node.id}`, p);
        else this.log(`keel: scheduler: flow ${flow.id} node ${node.id} has an invalid schedule; it does not run`);
      }
      for (const job of [...this.jobs.values()]) {
        if (job.flowId === flow.id && (!wanted.has(job.key) || !sameSchedule(job.params, wanted.get(job.key)!))) this.drop(job.key);
      }
      for (const [key, params] of wanted) {
        if (this.jobs.has(key)) continue;
        const runId = await this.add(flow, key, params, opts);
        if (runId) started.push(runId);
      }
    }
    return started;
  }

  private async add(flow: Flow, key: string, params: ScheduleParams, opts: { catchUp: boolean }): Promise<string | undefined> {
    const job: Job = { key, flowId: flow.id, nodeId: key.slice(flow.id.length + 1), params, cron: new Cron(params.cron, { timezone: params.timezone }) };
    this.jobs.set(key, job);
    const last = this.state!.data.schedules[key]?.lastRun;
    const now = this.now();
    let runId: string | undefined;
    if (!last) {
      await this.record(key, new Date(now).toISOString()); // first seen: nothing before now is owed
    } else if (opts.catchUp) {
      const missed = this.missedSince(job, new Date(last), now);
      if (missed.count > 0) {
        if (params.catchUp === "once") {
          runId = await this.fire(job, { scheduledFor: missed.latest!.toISOString(), catchUp: true, missed: missed.count });
        } else {
          this.log(`keel: schedule ${key}: skipped ${missed.count} time${missed.count === 1 ? "" : "s"} missed while Keel was down (catchUp: skip)`);
          await this.record(key, missed.latest!.toISOString());
        }
      }
    }
    this.arm(job);
    return runId;
  }

  private missedSince(job: Job, last: Date, now: number): { count: number; latest?: Date } {
    let count = 0;
    let latest: Date | undefined;
    for (let t = job.cron.nextRun(last); t && t.getTime() <= now && count < MAX_COUNTED; t = job.cron.nextRun(t)) {
      count++;
      latest = t;
    }
    return { count, latest };
  }

  private arm(job: Job): void {
    if (this.stopped || this.jobs.get(job.key) !== job) return;
    clearTimeout(job.timer);
    const next = job.cron.nextRun(new Date(this.now()));
    if (!next) return;
    const delay = Math.min(Math.max(0, next.getTime() - this.now()), 2 ** 31 - 1);
    job.timer = setTimeout(() => {
      if (this.jobs.get(job.key) !== job) return;
      if (next.getTime() > this.now()) return this.arm(job); // a long wait is made of several timers
      void this.fire(job, { scheduledFor: next.toISOString(), catchUp: false }).finally(() => this.arm(job));
    }, delay);
    job.timer.unref?.();
  }

  private async fire(job: Job, input: ScheduledInput): Promise<string | undefined> {
    const flow = await this.keel.flows.get(job.flowId).catch(() => undefined);
    if (!flow || this.stopped) return undefined;
    try {
      const { runId } = await this.keel.coordinator.start(flow, input);
      await this.record(job.key, input.scheduledFor, runId);
      this.log(`keel: schedule ${job.key}: started run ${runId}${input.catchUp ? ` (catching up ${input.missed} missed)` : ""}`);
      return runId;
    } catch (e) {
      this.log(`keel: schedule ${job.key}: could not start a run: ${(e as Error).message}`);
      await this.record(job.key, input.scheduledFor); // not retried at every start: the flow needs fixing
      return undefined;
    }
  }

  private async record(key: string, lastRun: string, runId?: string): Promise<void> {
    this.state!.data.schedules[key] = { lastRun, ...(runId ? { runId } : {}) };
    await this.state!.write();
  }

  private drop(key: string): void {
    const job = this.jobs.get(key);
    if (job) clearTimeout(job.timer);
    this.jobs.delete(key);
  }
}

function sameSchedule(a: ScheduleParams, b: ScheduleParams): boolean {
  return a.cron === b.cron && a.timezone === b.timezone && a.catchUp === b.catchUp;
}
