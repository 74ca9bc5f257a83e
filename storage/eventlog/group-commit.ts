import fs from "node:fs";

const fdatasync = (fd: number) =>
  new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
const fsyncDir = (dir: string) =>
  new Promise<void>((resolve, reject) =>
    fs.open(dir, "r", (err, fd) => {
      if (err) return reject(err);
      fs.fsync(fd, (e) => fs.close(fd, () => (e ? reject(e) : resolve())));
    }),
  );

/**
 * Group commit: callers that ask for durability while a flush is in flight all join the next
 * flush, which covers every file written since. Many concurrent runs thus share each round of
 * fdatasync calls instead of each paying for its own.
 */
export class GroupCommit {
  private dirtyFiles = new Set<number>();
  private dirtyDirs = new Set<string>();
  private busy = new Set<number>();
  private closeAfter = new Set<number>();
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  /** fdatasync/fsync calls made, for benchmarks. */
  syncs = 0;

  /** A file descriptor has writes that a coming sync must cover. */
  markFile(fd: number): void {
    this.dirtyFiles.add(fd);
  }

  /** A directory gained an entry (a new file) that a coming sync must make durable. */
  markDir(dir: string): void {
    this.dirtyDirs.add(dir);
  }

  /** Resolves once everything marked before the call is durable. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    if (this.current) {
      this.next = this.current.then(
        () => this.startBatch(),
        () => this.startBatch(),
      );
      return this.next;
    }
    if (this.dirtyFiles.size === 0 && this.dirtyDirs.size === 0) return Promise.resolve();
    return this.startBatch();
  }

  /** Closes a descriptor now, or right after the flush that is using it. */
  close(fd: number): void {
    this.dirtyFiles.delete(fd);
    if (this.busy.has(fd)) this.closeAfter.add(fd);
    else fs.closeSync(fd);
  }

  private startBatch(): Promise<void> {
    this.next = null;
    const files = [...this.dirtyFiles];
    const dirs = [...this.dirtyDirs];
    this.dirtyFiles.clear();
    this.dirtyDirs.clear();
    for (const fd of files) this.busy.add(fd);
    this.syncs += files.length + dirs.length;
    const batch = Promise.all([...files.map(fdatasync), ...dirs.map(fsyncDir)])
      .then(() => undefined)
      .finally(() => {
        for (const fd of files) {
          this.busy.delete(fd);
          if (this.closeAfter.delete(fd)) fs.closeSync(fd);
        }
        if (this.current === batch) this.current = null;
      });
    this.current = batch;
    return batch;
  }
}
