/** Helpers for testing a node type on its own: a context without an engine. */
import { missingDoor, type Doors } from "./doors.ts";
import type { NodeContext, WakeValue } from "./node.ts";

/** Options for makeContext: params plus whatever the test wants to set. */
export interface MakeContextOptions<P> extends Partial<Doors> {
  params: P;
  input?: Record<string, unknown>;
  runInput?: unknown;
  nodeId?: string;
  attempt?: number;
  idempotencyKey?: string;
  signal?: AbortSignal;
  wake?: WakeValue;
  logs?: Array<{ message: string; data?: unknown }>;
}

/** A NodeContext for a node test: no engine, no storage, doors only where the test gives them. */
export function makeContext<P>(opts: MakeContextOptions<P>): NodeContext<P> {
  const nodeId = opts.nodeId ?? "node";
  return {
    outbox: opts.outbox ?? missingDoor("the outbox"),
    credentials: opts.credentials ?? missingDoor("the credential vault"),
    models: opts.models ?? missingDoor("the model interface"),
    memory: opts.memory ?? missingDoor("memory"),
    params: opts.params,
    input: opts.input ?? {},
    run: { id: "r-20260101-000000-0000000000", flowId: "test", startedAt: new Date(0).toISOString(), input: opts.runInput ?? {} },
    nodeId,
    attempt: opts.attempt ?? 1,
    idempotencyKey: opts.idempotencyKey ?? `keel:test:${nodeId}`,
    signal: opts.signal ?? new AbortController().signal,
    log: (message, data) => opts.logs?.push({ message, data }),
    wake: opts.wake,
  };
}
