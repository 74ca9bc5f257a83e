import type { DoorFactory } from "./doors.ts";
import type { RunEvent, RunEventBody } from "./schema/events.ts";
import type { RunState } from "./state.ts";
import type { EventStore } from "./stores.ts";

/** What a RunExecution needs from the Coordinator that owns it. */
export interface EngineDeps {
  store: EventStore;
  now(): number;
  random(): number;
  /** Parallel nodes per run when the flow does not say. */
  concurrency?: number;
  doors?: DoorFactory;
  /** Replaces secret values in an event before it is written. */
  redact?(runId: string, event: RunEventBody): RunEventBody;
  registerSecret?(runId: string, name: string, value: string): void;
  onEvent(runId: string, event: RunEvent): void;
  /** A node began (or, after a restart, still is) waiting: arm its timer, show its approval. */
  onWaiting(state: RunState, nodeId: string, wait: { kind: string; until?: number; data?: Record<string, unknown> }): void;
  /** The run finished or now waits, and that is durable. */
  onSettled(state: RunState): void;
  /** An engine fault (not a node failure): the run stays open for the next resume. */
  onError(runId: string, error: unknown): void;
}
