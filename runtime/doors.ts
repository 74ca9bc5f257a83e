/**
 * The doors the engine opens for a node: everything outside the node's own params and input
 * is reached through these, so a node can be tested with a fake and replayed from its trace.
 * Each door is an interface here; implementations live in storage/ or runtime/models and are
 * wired together in server/.
 */
import { KeelError } from "./errors.ts";
import type { ModelBudget, ModelSpend, ModelsDoor } from "./models/types.ts";
import type { MemoryDoor } from "./memory.ts";

export type { ModelsDoor } from "./models/types.ts";
/** Long-term and working memory (runtime/memory.ts; implemented by storage/memory). */
export type { MemoryDoor } from "./memory.ts";

/** What a door may know about the node calling it, and how it records to the run trace. */
export interface NodeScope {
  runId: string;
  flowId: string;
  nodeId: string;
  attempt: number;
  signal: AbortSignal;
  /** Appends a trace event (e.g. a model call) to the run log. */
  trace(type: string, data: Record<string, unknown>): void;
  /** Registers a secret value so that it is redacted from everything the run writes. */
  registerSecret(name: string, value: string): void;
  /** The flow's model budget, when it sets one. */
  budget?: ModelBudget;
  /** What the run has spent on models so far (all nodes, including this one). */
  spent?(): ModelSpend;
}

/** Files written by actions, confined to the outbox folder under the data folder. */
export interface OutboxDoor {
  /** Writes `content` to `relPath` atomically; refuses paths outside the outbox. */
  write(relPath: string, content: string | Uint8Array): Promise<{ path: string; bytes: number }>;
  /** Reads a file from the outbox (e.g. an email attachment). */
  read(relPath: string): Promise<Uint8Array>;
  /** True when `relPath` exists in the outbox. */
  exists(relPath: string): Promise<boolean>;
  /** Removes a file from the outbox; nothing happens when it is not there. */
  remove(relPath: string): Promise<void>;
}

/** A credential's fields, handed to a node after the vault checked the flow may use it. */
export interface Credential {
  name: string;
  kind: string;
  fields: Record<string, string>;
}

/** Credentials by name, checked against the running flow. */
export interface CredentialsDoor {
  get(name: string): Promise<Credential>;
}

/** Every door a node can use. */
export interface Doors {
  outbox: OutboxDoor;
  credentials: CredentialsDoor;
  models: ModelsDoor;
  memory: MemoryDoor;
}

/**
 * Makes the doors for one node attempt; the engine calls it with the node's scope. `opened`
 * holds the doors other factories make for the same scope (filled as they are made: read it
 * when a door is used, not when it is made), e.g. the models door reads an API key through it.
 */
export type DoorFactory = (scope: NodeScope, opened?: Partial<Doors>) => Partial<Doors>;

/** A door that is not configured in this process fails with a clear error when used. */
export function missingDoor<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      if (prop === "then") return undefined; // not a thenable
      return () => {
        throw new KeelError("INTERNAL", `${name} is not available in this Keel process (asked for ${String(prop)})`);
      };
    },
  });
}
