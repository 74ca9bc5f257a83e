/**
 * The events of runs, kept in memory as they are appended, so that reading a run in flight (or
 * one that just finished) costs no disk reads. The log on disk stays the truth: a run whose
 * events were not all seen here is read from disk.
 */
import type { Coordinator } from "../../runtime/coordinator.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";

/** Finished runs kept in memory, the least recently read or finished dropped first. */
const FINISHED_KEPT = 50;

/** Options for a RunEventCache. */
export interface RunEventCacheOptions {
  /** How many finished runs to keep (default 50); runs in flight are always kept. */
  finishedKept?: number;
}

/** Events of runs in flight (not waiting) and of the last few finished runs, complete and in order. */
export class RunEventCache {
  private readonly coordinator: Coordinator;
  private readonly runs = new Map<string, RunEvent[]>();
  /** Finished runs in the order they finished (a Map keeps insertion order). */
  private readonly finished = new Map<string, true>();
  private readonly finishedKept: number;

  constructor(coordinator: Coordinator, options: RunEventCacheOptions = {}) {
    this.coordinator = coordinator;
    this.finishedKept = options.finishedKept ?? FINISHED_KEPT;
    coordinator.on((runId, event) => this.add(runId, event));
  }

  private add(runId: string, event: RunEvent): void {
    let events = this.runs.get(runId);
    if (event.type === "run.created") this.runs.set(runId, (events = []));
    if (!events) return; // a run this cache did not see start: it is read from disk
    if (event.seq !== events.length + 1) {
      this.runs.delete(runId); // a gap: no longer complete
      this.finished.delete(runId);
      return;
    }
    events.push(event);
    if (isTerminal(event)) this.keepFinished(runId);
    // a waiting run may wait for days: it holds no memory here and is read from its log
    else if (event.type === "run.waiting") this.runs.delete(runId);
  }

  private keepFinished(runId: string): void {
    this.finished.delete(runId); // re-inserted: now the most recent
    this.finished.set(runId, true);
    while (this.finished.size > this.finishedKept) {
      const oldest = this.finished.keys().next().value as string;
      this.finished.delete(oldest);
      this.runs.delete(oldest);
    }
  }

  /**
   * The run's events so far when they are all in memory (a snapshot: the run may go on while
   * the answer is written), else undefined. Synchronous on purpose: under load, every `await`
   * queues the request behind the engine's own microtasks.
   */
  cached(runId: string): RunEvent[] | undefined {
    const events = this.runs.get(runId);
    if (!events) return undefined;
    if (this.finished.has(runId)) this.keepFinished(runId); // read again: keep it longer
    return events.slice();
  }

  /** The run's events so far: from memory when complete there, else from its log (kept when finished). */
  async events(runId: string): Promise<RunEvent[]> {
    const cached = this.cached(runId);
    if (cached) return cached;
    const events = await this.coordinator.events(runId);
    // a finished run's log never changes again: later reads can come from memory
    if (events.length && isTerminal(events[events.length - 1]) && !this.runs.has(runId)) {
      this.runs.set(runId, events.slice());
      this.keepFinished(runId);
    }
    return events;
  }

  /** Runs held in memory (for tests). */
  size(): number {
    return this.runs.size;
  }
}

function isTerminal(e: RunEvent): boolean {
  return e.type === "run.succeeded" || e.type === "run.failed" || e.type === "run.canceled";
}
