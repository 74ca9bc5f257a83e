/**
 * The flows being edited, as yjs documents: every editor tab (or device) that opens a flow
 * shares one document, so their edits merge and converge. Layout (`keel/flow-ydoc@1`): map
 * `meta` (the flow's fields but nodes and edges), map `nodes` (node id → node JSON) and map
 * `edges` (edge id → edge JSON): concurrent edits of different nodes both land; the same node
 * edited twice at once keeps one of the two versions. The document is the draft, saved under
 * `<dir>/<hash of the flow id>.ydoc` (writeAtomic: temp file, fsync, rename) a moment after each change;
 * saving the flow (PUT) stays what makes it the flow that runs.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as Y from "yjs";
import { ValidationError } from "../../runtime/errors.ts";
import { writeAtomic } from "./durable-json-file.ts";
import type { FlowInput } from "../../runtime/schema/flow.ts";

const PERSIST_DELAY_MS = 200;
/** Updates from this origin came from the server itself (a save, a first load). */
export const SERVER_ORIGIN = "keel-server";

type Listener = (flowId: string, update: Uint8Array, origin: unknown) => void;
type SavedListener = (flow: FlowInput) => void;

interface Open {
  doc: Y.Doc;
  timer: ReturnType<typeof setTimeout> | null;
  /** The draft's writes, one after another (two at once could land in the wrong order). */
  writing: Promise<void>;
}

export class FlowLiveDocs {
  private readonly dir: string;
  private readonly open = new Map<string, Promise<Open>>();
  private readonly listeners = new Set<Listener>();
  private readonly savedListeners = new Set<SavedListener>();
  private readonly load: (flowId: string) => Promise<FlowInput | undefined>;
  private readonly onError: (e: unknown) => void;

  /** @param load reads the saved flow, which seeds a document the first time it is opened */
  constructor(dir: string, load: (flowId: string) => Promise<FlowInput | undefined>, options: { onError?: (e: unknown) => void } = {}) {
    this.dir = dir;
    this.load = load;
    this.onError = options.onError ?? ((e) => process.stderr.write(`keel: flow drafts: ${(e as Error).message}\n`));
  }

  /** Hears every change to every open document, with the origin it was applied with. */
  onUpdate(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hears of every save of a flow that has a document (editors then know what is saved). */
  onSaved(listener: SavedListener): () => void {
    this.savedListeners.add(listener);
    return () => this.savedListeners.delete(listener);
  }

  /** The whole document of a flow, as one yjs update (NOT_FOUND-like ValidationError for no such flow). */
  async state(flowId: string): Promise<Uint8Array> {
    return Y.encodeStateAsUpdate((await this.get(flowId)).doc);
  }

  /** Applies an update an editor sent; a malformed one is refused and changes nothing. */
  async apply(flowId: string, update: Uint8Array, origin: unknown): Promise<void> {
    const { doc } = await this.get(flowId);
    // decode first: applyUpdate on garbage may throw halfway through
    try {
      Y.decodeUpdate(update);
    } catch {
      throw new ValidationError(`flow "${flowId}": the update is not a yjs update`);
    }
    Y.applyUpdate(doc, update, origin);
  }

  /** The flow was saved (PUT): the document takes the saved content, so every open editor shows it. */
  async saved(flow: FlowInput): Promise<void> {
    if (!this.open.has(flow.id) && !fs.existsSync(this.fileOf(flow.id))) return; // nobody is editing it
    const { doc } = await this.get(flow.id);
    writeFlow(doc, flow, SERVER_ORIGIN);
    for (const l of this.savedListeners) l(flow);
  }

  /** The flow was deleted: its draft goes too. */
  async removed(flowId: string): Promise<void> {
    const opening = this.open.get(flowId);
    this.open.delete(flowId);
    const o = await opening?.catch(() => undefined);
    if (o?.timer) clearTimeout(o.timer);
    await o?.writing; // a write in flight would bring the file back
    o?.doc.destroy();
    fs.rmSync(this.fileOf(flowId), { force: true });
  }

  /** Writes every pending draft now. */
  async close(): Promise<void> {
    for (const [flowId, opening] of this.open) {
      const o = await opening.catch(() => undefined);
      if (!o) continue;
      if (o.timer) {
        clearTimeout(o.timer);
        o.timer = null;
        this.persist(flowId, o);
      }
      await o.writing;
    }
  }

  private fileOf(flowId: string): string {
    return path.join(this.dir, `${createHash("sha256").update(flowId).digest("hex").slice(0, 32)}.ydoc`);
  }

  private get(flowId: string): Promise<Open> {
    let opening = this.open.get(flowId);
    if (!opening) {
      opening = this.openDoc(flowId);
      this.open.set(flowId, opening);
      opening.catch(() => this.open.delete(flowId));
    }
    return opening;
  }

  private async openDoc(flowId: string): Promise<Open> {
    const doc = new Y.Doc();
    const file = this.fileOf(flowId);
    let stored: Buffer | undefined;
    try {
      stored = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const saved = await this.load(flowId);
    if (!saved) throw new ValidationError(`no flow "${flowId}"`);
    if (stored) {
      try {
        Y.applyUpdate(doc, new Uint8Array(stored), SERVER_ORIGIN);
      } catch {
        // a damaged draft: start again from the saved flow rather than refuse to edit
        fs.renameSync(file, `${file}.damaged-${Date.now()}`);
      }
    }
    if (doc.getMap("nodes").size === 0 && doc.getMap("meta").size === 0) writeFlow(doc, saved, SERVER_ORIGIN);
    const o: Open = { doc, timer: null, writing: Promise.resolve() };
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      for (const l of this.listeners) l(flowId, update, origin);
      o.timer ??= setTimeout(() => {
        o.timer = null;
        this.persist(flowId, o);
      }, PERSIST_DELAY_MS);
    });
    return o;
  }

  /** Queues a write of the draft as it is then; a failed write is reported, never thrown from a timer. */
  private persist(flowId: string, o: Open): void {
    o.writing = o.writing.then(() => writeAtomic(this.fileOf(flowId), Y.encodeStateAsUpdate(o.doc))).catch(this.onError);
  }
}

/** The flow a document holds (nodes and edges in id order: the order of a flow's lists means nothing). */
export function readFlow(doc: Y.Doc): FlowInput {
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  // a copy: toJSON hands out the stored objects themselves, which must never be changed in place
  const copy = <T>(v: unknown) => JSON.parse(JSON.stringify(v)) as T;
  return {
    ...copy<Omit<FlowInput, "nodes" | "edges">>(doc.getMap("meta").toJSON()),
    nodes: copy<FlowInput["nodes"]>(Object.values(doc.getMap("nodes").toJSON())).sort(byId),
    edges: copy<NonNullable<FlowInput["edges"]>>(Object.values(doc.getMap("edges").toJSON())).sort(byId),
  };
}

/** Brings a document to a flow, touching only what differs (one transaction). */
export function writeFlow(doc: Y.Doc, flow: FlowInput, origin: unknown): void {
  const { nodes, edges = [], ...meta } = flow;
  doc.transact(() => {
    sync(doc.getMap("meta"), new Map(Object.entries(meta).filter(([, v]) => v !== undefined)));
    sync(doc.getMap("nodes"), new Map(nodes.map((n) => [n.id, n])));
    sync(doc.getMap("edges"), new Map(edges.map((e) => [e.id, e])));
  }, origin);
}

function sync(map: Y.Map<unknown>, want: Map<string, unknown>): void {
  for (const key of [...map.keys()]) if (!want.has(key)) map.delete(key);
  for (const [key, value] of want) {
    if (JSON.stringify(map.get(key)) !== JSON.stringify(value)) map.set(key, JSON.parse(JSON.stringify(value)));
  }
}
