/**
 * The storage contracts the runtime depends on. Implementations live in storage/ and must
 * pass the conformance suites under test/contracts/.
 */
import type { Flow } from "./schema/flow.ts";
import type { RunEvent, RunEventBody, RunStatus } from "./schema/events.ts";

/** What reading a run's log found. */
export interface RunLog {
  events: RunEvent[];
  /** A torn last line (a write cut short by a crash) was found and dropped. */
  tornTail: boolean;
}

/** Options for one append. */
export interface AppendOptions {
  /**
   * Hold the event in memory until `flush`, so events appended together reach the operating
   * system in one write. The caller must flush before it acts on the event or lets anyone see it.
   */
  defer?: boolean;
}

/**
 * The append-only run event log. `append` is a write-ahead to the operating system: once it
 * returns (or, for a deferred append, once `flush` returns), a killed process loses nothing;
 * `sync` makes everything appended so far durable (concurrent callers share one flush: group
 * commit).
 */
export interface EventStore {
  /** Starts the log of a new run; fails with CONFLICT if the run exists. */
  create(runId: string): void;
  /** Appends an event, assigning its seq (and ts when missing). Visible to `read` at once. */
  append(runId: string, event: RunEventBody & { ts?: number }, options?: AppendOptions): RunEvent;
  /** Writes the run's deferred appends (one write); `sync`, `read`, `release` and `finish` do it too. */
  flush(runId: string): void;
  /** Resolves when every event appended before the call is durable. */
  sync(): Promise<void>;
  /** Reads and verifies a run's log; throws CORRUPT naming run and line; NOT_FOUND if absent. */
  read(runId: string): Promise<RunLog>;
  /** Reopens an existing run for appending (after a restart); drops a torn last line. */
  reopen(runId: string): Promise<RunLog>;
  /** The run stops moving (it waits) without finishing: its pending lines are written and it no longer counts as a writer. */
  release(runId: string): void;
  /** The run is finished: it is no longer listed by `openRuns`. Call after `sync`. */
  finish(runId: string): void;
  /** Runs created and not finished: the ones a restart must look at. */
  openRuns(): Promise<string[]>;
  /** Counters for benchmarks: fdatasync calls and the like. */
  stats(): { syncs: number; appends: number };
  close(): Promise<void>;
}

/** One line of the run index: enough to list and filter runs without reading their logs. */
export interface RunSummary {
  id: string;
  flowId: string;
  flowName: string;
  status: RunStatus;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  error?: string;
  parentRunId?: string;
}

/** A query over the run index, newest first. */
export interface RunQuery {
  flowId?: string;
  status?: RunStatus;
  limit?: number;
  /** The `nextCursor` of a previous page. */
  cursor?: string;
}

/** The run index: a derived, rebuildable list of runs (the logs are the truth). */
export interface RunIndex {
  put(summary: RunSummary): void;
  get(runId: string): Promise<RunSummary | undefined>;
  list(query?: RunQuery): Promise<{ items: RunSummary[]; nextCursor?: string }>;
  /** Resolves when every `put` so far is written. */
  flush(): Promise<void>;
  /** Like `flush`, but waits for the write the index makes anyway (puts are batched) instead of forcing one. */
  written(): Promise<void>;
}

/** A flow in a listing. */
export interface FlowSummary {
  id: string;
  name: string;
  description?: string;
  updatedAt: string;
  nodes: number;
}

/** Saved flows, one document each. */
export interface FlowStore {
  list(): Promise<FlowSummary[]>;
  get(id: string): Promise<Flow | undefined>;
  put(flow: Flow): Promise<void>;
  delete(id: string): Promise<boolean>;
}
