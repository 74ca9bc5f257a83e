/**
 * Wires one Keel process together: storage under the data folder, the node registry and the
 * coordinator. The CLI and the HTTP server both start here.
 */
import fs from "node:fs";
import path from "node:path";
import { Coordinator, type CoordinatorOptions } from "../runtime/coordinator.ts";
import type { DoorFactory, Doors } from "../runtime/doors.ts";
import type { NodeRegistry } from "../runtime/registry.ts";
import { createRegistry } from "../nodes/index.ts";
import { SegmentEventStore } from "../storage/eventlog/segment-event-store.ts";
import { FileFlowStore } from "../storage/docs/flow-store.ts";
import { FlowLiveDocs } from "../storage/docs/flow-live-docs.ts";
import { FileRunIndex } from "../storage/docs/run-index.ts";
import { FileOutbox } from "../storage/outbox.ts";
import { ModelHub } from "../runtime/models/hub.ts";
import { FileResponseCache } from "../storage/models/response-cache.ts";
import { modelSettingsLoader, settingsFileOf } from "../storage/models/settings-file.ts";
import { SecretRedactor } from "../runtime/redact.ts";
import { credentialsDoor, openVault, type Vault } from "../storage/vault/index.ts";
import { modelsEmbedder } from "../runtime/memory.ts";
import { memoryDoor } from "../storage/memory/door.ts";
import { LanceMemoryStore } from "../storage/memory/store.ts";
import { ApprovalDesk } from "../runtime/approvals/desk.ts";
import { FileApprovalStore } from "../storage/approvals/file-approval-store.ts";

/** Options for opening a Keel data folder. */
export interface KeelOptions {
  dataDir: string;
  /** Extra coordinator options (tests: clocks, concurrency). */
  coordinator?: Partial<CoordinatorOptions>;
}

/** An open Keel: its stores and its coordinator. */
export interface Keel {
  dataDir: string;
  registry: NodeRegistry;
  store: SegmentEventStore;
  index: FileRunIndex;
  flows: FileFlowStore;
  /** Flows being edited, as yjs documents shared by every editor that has them open (`<data>/flows-live`). */
  liveFlows: FlowLiveDocs;
  outbox: FileOutbox;
  /** Models: settings from `<data>/settings.json`, responses cached under `<data>/models/cache`. */
  models: ModelHub;
  /** The models' persisted response cache (housekeeping prunes it). */
  modelCache: FileResponseCache;
  /** Memory: LanceDB under `<data>/memory`, a table per embedding model; embeds with the configured embedding model. */
  memory: LanceMemoryStore;
  coordinator: Coordinator;
  /** Credentials, encrypted under `<data>/vault` (key: KEEL_MASTER_KEY, KEEL_KEY_FILE or `<data>.key`). */
  vault: Vault;
  /** Secrets handed to runs, replaced by `[secret:name]` in everything runs write. */
  redactor: SecretRedactor;
  /** Approvals: the inbox and the one door decisions go through (records under `<data>/approvals`). */
  approvals: ApprovalDesk;
  close(): Promise<void>;
}

/** Opens (creating when needed) a data folder and builds the coordinator over it. */
export function openKeel(options: KeelOptions): Keel {
  const dataDir = path.resolve(options.dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const registry = createRegistry();
  const store = new SegmentEventStore({ dir: path.join(dataDir, "runs") });
  const index = new FileRunIndex(path.join(dataDir, "index", "runs"));
  const flows = new FileFlowStore(path.join(dataDir, "flows"));
  const liveFlows = new FlowLiveDocs(path.join(dataDir, "flows-live"), (id) => flows.get(id));
  const outbox = new FileOutbox(path.join(dataDir, "outbox"));
  const modelCache = new FileResponseCache(path.join(dataDir, "models", "cache"));
  const models = new ModelHub({ settings: modelSettingsLoader(settingsFileOf(dataDir)), cache: modelCache });
  const memory = new LanceMemoryStore({ dir: path.join(dataDir, "memory"), embedder: modelsEmbedder({ embed: (req) => models.embed(req) }) });
  const vault = openVault(dataDir);
  const redactor = new SecretRedactor();
  // Each door a node may use; a part that adds a door adds one entry here.
  const doorParts: DoorFactory[] = [
    () => ({ outbox }),
    (scope) => ({ credentials: credentialsDoor(vault, scope) }),
    (scope, opened) => ({ models: models.door(scope, { credentials: () => opened?.credentials }) }),
    (scope, opened) => ({ memory: memoryDoor(memory, { scope, models: () => opened?.models }) }),
  ];
  const approvalStore = new FileApprovalStore(path.join(dataDir, "approvals"));
  const approvals = new ApprovalDesk({ store: approvalStore, syncLog: () => store.sync(), runStatus: async (id) => (await index.get(id))?.status });
  const coordinator = new Coordinator({
    waits: { approval: approvals },
    store,
    index,
    registry,
    redactor,
    doors: (scope) => {
      const opened: Partial<Doors> = {};
      for (const make of doorParts) Object.assign(opened, make(scope, opened));
      return opened;
    },
    ...options.coordinator,
    // engine faults can quote a node's error: secrets are taken out whoever prints the line
    log: (message) => (options.coordinator?.log ?? stderrLine)(redactor.redactAny(message)),
  });
  approvals.attach(coordinator);
  return {
    dataDir,
    registry,
    store,
    index,
    flows,
    liveFlows,
    outbox,
    models,
    modelCache,
    memory,
    coordinator,
    vault,
    redactor,
    approvals,
    async close() {
      await approvals.idle(); // approvals being shown are written before the process lets go
      await coordinator.close();
      await approvalStore.close();
      await memory.close();
      await liveFlows.close();
      await store.close();
    },
  };
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}
