/**
 * The events of runs, kept in memory as they are appended, so that reading a run in flight (or
 * one that just finished) costs no disk reads. The log on disk stays the truth: a run whose
 * events were not all seen here is read from disk.
 */
import type { Coordinator } from "../../runtime/coordinator.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";

/** Finished runs kept after their last event (newest first out last). */
const FINISHED_KEPT = 50;

/** Options for a RunEventCache. */
export interface RunEventCacheOptions {
  /** How many finished runs to keep (default 50); runs in flight are always kept. */
  finishedKept?: number;
}

/** Events of runs in flight and of the last few finished runs, complete and in order. */
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
    if (event.type === "run.succeeded" || event.type === "run.failed" || event.type === "run.canceled") this.keepFinished(runId);
  }

  private keepFinished(runId: string): void {
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
    return this.runs.get(runId)?.slice();
  }

  /** The run's events so far: from memory when complete there, else from its log. */
  events(runId: string): Promise<RunEvent[]> {
    return Promise.resolve(this.cached(runId) ?? this.coordinator.events(runId));
  }

  /** Runs held in memory (for tests). */
  size(): number {
    return this.runs.size;
  }
}
