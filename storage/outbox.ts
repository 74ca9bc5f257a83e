/** The outbox: files written by action nodes, confined to `<data>/outbox`. */
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../runtime/errors.ts";
import type { OutboxDoor } from "../runtime/doors.ts";
import { writeAtomic } from "./docs/durable-json-file.ts";

export class FileOutbox implements OutboxDoor {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** The absolute path of `relPath`, or a clear error when it would leave the outbox. */
  resolve(relPath: string): string {
    if (typeof relPath !== "string" || relPath.trim() === "") throw new ValidationError("outbox path is empty");
    if (relPath.includes("\0")) throw new ValidationError(`outbox path ${JSON.stringify(relPath)} holds a NUL byte`);
    if (path.isAbsolute(relPath)) throw new ValidationError(`outbox path ${JSON.stringify(relPath)} must be relative to the outbox`);
    const full = path.resolve(this.dir, relPath);
    if (full !== this.dir && !full.startsWith(this.dir + path.sep)) {
      throw new ValidationError(`outbox path ${JSON.stringify(relPath)} escapes the outbox folder`);
    }
    if (full === this.dir) throw new ValidationError(`outbox path ${JSON.stringify(relPath)} names the outbox itself`);
    // a symlink inside the outbox must not lead out of it either
    let probe = path.dirname(full);
    while (probe.startsWith(this.dir) && probe !== this.dir) {
      const base = fs.realpathSync.native(this.dirReal());
      // "outbox-other" starts with "outbox" too: compare whole path segments
      if (fs.existsSync(probe) && !fs.realpathSync(probe).startsWith(base + path.sep)) {
        throw new ValidationError(`outbox path ${JSON.stringify(relPath)} leads out of the outbox through a link`);
      }
      probe = path.dirname(probe);
    }
    return full;
  }

  private dirReal(): string {
    fs.mkdirSync(this.dir, { recursive: true });
    return this.dir;
  }

  async write(relPath: string, content: string | Uint8Array): Promise<{ path: string; bytes: number }> {
    const full = this.resolve(relPath);
    if (fs.existsSync(full) && fs.lstatSync(full).isSymbolicLink()) {
      throw new ValidationError(`outbox path ${JSON.stringify(relPath)} is a link; refusing to write through it`);
    }
    await writeAtomic(full, content);
    return { path: path.relative(this.dir, full), bytes: typeof content === "string" ? Buffer.byteLength(content) : content.byteLength };
  }

  async read(relPath: string): Promise<Uint8Array> {
    return fs.promises.readFile(this.resolve(relPath));
  }

  async remove(relPath: string): Promise<void> {
    await fs.promises.rm(this.resolve(relPath), { force: true });
  }

  async exists(relPath: string): Promise<boolean> {
    return fs.existsSync(this.resolve(relPath));
  }
}
