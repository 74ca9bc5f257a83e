/**
 * A lowdb adapter that never loses or tears a document: writes go to a temp file that is
 * fsynced and renamed over the old one (then the folder is fsynced), and concurrent writes
 * coalesce into the latest. A file that does not parse is reported by name and never written
 * over by this adapter.
 */
import fs from "node:fs";
import path from "node:path";
import type { Adapter } from "lowdb";
import { CorruptError } from "../../runtime/errors.ts";

export class DurableJSONFile<T> implements Adapter<T> {
  readonly file: string;
  private corrupt: CorruptError | undefined;
  private writing: Promise<void> | null = null;
  private queued: { data: T; waiters: Array<[() => void, (e: unknown) => void]> } | null = null;

  constructor(file: string) {
    this.file = file;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      this.corrupt = new CorruptError(`${this.file} is corrupt (${(e as Error).message}); it was left as it is`, {
        details: { file: this.file },
      });
      throw this.corrupt;
    }
  }

  write(data: T): Promise<void> {
    if (this.corrupt) return Promise.reject(this.corrupt);
    if (!this.writing) {
      this.writing = writeAtomic(this.file, JSON.stringify(data)).finally(() => this.drain());
      return this.writing;
    }
    this.queued ??= { data, waiters: [] };
    this.queued.data = data;
    return new Promise((resolve, reject) => this.queued!.waiters.push([resolve, reject]));
  }

  private drain(): void {
    this.writing = null;
    const q = this.queued;
    if (!q) return;
    this.queued = null;
    this.write(q.data).then(
      () => q.waiters.forEach(([ok]) => ok()),
      (e) => q.waiters.forEach(([, fail]) => fail(e)),
    );
  }
}

let tmpSeq = 0;

/** Writes a file so that a crash leaves either the old or the new content, whole. */
export async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.promises.mkdir(dir, { recursive: true });
  // one temp file per call: two writes of the same file at once must not share (and rename away) one
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${++tmpSeq}.tmp`);
  const handle = await fs.promises.open(tmp, "w", 0o644);
  try {
    await handle.writeFile(content);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
  const d = await fs.promises.open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
