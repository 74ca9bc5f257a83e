/** Saved flows: one lowdb document per flow under `<data>/flows/<id>.json`. */
import fs from "node:fs";
import path from "node:path";
import { Low } from "lowdb";
import { KeelError } from "../../runtime/errors.ts";
import type { Flow } from "../../runtime/schema/flow.ts";
import type { FlowStore, FlowSummary } from "../../runtime/stores.ts";
import { DurableJSONFile } from "./durable-json-file.ts";

interface FlowDoc {
  flow: Flow;
  updatedAt: string;
}

const SAFE_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export class FileFlowStore implements FlowStore {
  private readonly dir: string;
  private readonly docs = new Map<string, Low<FlowDoc | null>>();

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(dir, { recursive: true });
  }

  private async doc(id: string): Promise<Low<FlowDoc | null>> {
    if (!SAFE_ID.test(id)) throw new KeelError("NOT_FOUND", `no flow ${JSON.stringify(id)}`);
    let db = this.docs.get(id);
    if (!db) {
      db = new Low<FlowDoc | null>(new DurableJSONFile(path.join(this.dir, `${id}.json`)), null);
      await db.read();
      this.docs.set(id, db);
    }
    return db;
  }

  async list(): Promise<FlowSummary[]> {
    const names = (await fs.promises.readdir(this.dir)).filter((n) => n.endsWith(".json") && !n.startsWith("."));
    const out: FlowSummary[] = [];
    for (const name of names) {
      const db = await this.doc(name.slice(0, -5));
      if (!db.data) continue;
      const { flow, updatedAt } = db.data;
      out.push({ id: flow.id, name: flow.name, description: flow.description, updatedAt, nodes: flow.nodes.length });
    }
    return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  async get(id: string): Promise<Flow | undefined> {
    try {
      return (await this.doc(id)).data?.flow ?? undefined;
    } catch (e) {
      if (e instanceof KeelError && e.code === "NOT_FOUND") return undefined;
      throw e;
    }
  }

  async put(flow: Flow): Promise<void> {
    const db = await this.doc(flow.id);
    db.data = { flow, updatedAt: new Date().toISOString() };
    await db.write();
  }

  async delete(id: string): Promise<boolean> {
    const db = await this.doc(id);
    if (!db.data) return false;
    await fs.promises.rm(path.join(this.dir, `${id}.json`));
    this.docs.delete(id);
    return true;
  }
}
