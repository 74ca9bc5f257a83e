/**
 * The memory door a node gets: the store, seen from one node attempt. Embeddings go through
 * the node's models door when the process has one (so the configured provider is used, traced
 * and billed with the node), else through the store's own embedder; memories the node writes
 * cite its run and node; every search and write is recorded in the run trace.
 */
import { createHash } from "node:crypto";
import type { NodeScope } from "../../runtime/doors.ts";
import { modelsEmbedder, type Embedder, type MemoryDoor } from "../../runtime/memory.ts";
import type { ModelsDoor } from "../../runtime/models/types.ts";
import type { LanceMemoryStore } from "./store.ts";

/** Options for a node's memory door. */
export interface MemoryDoorOptions {
  scope: NodeScope;
  /** The node's models door, read when memory is used (it may be opened after this door). */
  models?: () => ModelsDoor | undefined;
}

/** Opens the memory door for one node attempt. */
export function memoryDoor(store: LanceMemoryStore, options: MemoryDoorOptions): MemoryDoor {
  const { scope } = options;
  const embedder = (): Embedder => {
    const models = options.models?.();
    return models && typeof models.embed === "function" ? modelsEmbedder(models) : store.embedder;
  };
  let writes = 0;
  return {
    async search(query, searchOptions = {}) {
      const hits = await store.search(query, { ...searchOptions, signal: searchOptions.signal ?? scope.signal, embedder: embedder() });
      scope.trace("memory.search", { query: clip(query), k: searchOptions.k ?? 5, hits: hits.map((h) => ({ id: h.id, score: h.score })) });
      return hits;
    },
    async remember(input) {
      // ids derived from the run, node and write number: a node run again after a crash rewrites the same memories
      const id = input.id ?? `m_${createHash("sha256").update(`${scope.runId}\0${scope.nodeId}\0${writes++}`).digest("hex").slice(0, 24)}`;
      const result = await store.remember(
        { ...input, id, signal: input.signal ?? scope.signal },
        { embedder: embedder(), source: { kind: "run", runId: scope.runId, nodeId: scope.nodeId } },
      );
      scope.trace("memory.remember", { id: result.id, action: result.action, ...(result.similarity === undefined ? {} : { similarity: result.similarity }) });
      return result;
    },
    get: (id) => store.get(id),
    async forget(id) {
      const removed = await store.forget(id);
      scope.trace("memory.forget", { id, removed });
      return removed;
    },
    async promote(id) {
      const item = await store.promote(id);
      scope.trace("memory.promote", { id, found: item !== undefined });
      return item;
    },
  };
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
