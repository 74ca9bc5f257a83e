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

/** A lone fdatasync runs on the calling thread while recent ones took less than this (ms). */
const INLINE_MAX_MS = 1;

/**
 * Group commit: callers that ask for durability while a flush is in flight all join the next
 * flush, which covers every file written since. Many concurrent runs thus share each round of
 * fdatasync calls instead of each paying for its own.
 *
 * When the caller says nobody else is writing (one run in motion, about to call out), a flush
 * of a single file with nothing else in flight is made on the calling thread: handing it to the
 * thread pool and back costs two thread wake-ups, which on a busy machine often take longer than
 * the fdatasync itself. It blocks the event loop meanwhile, so it is done only while recent
 * single-file flushes were quick, and never when other writers could have joined the flush.
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
  /** Recent single-file fdatasync times (ms), smoothed. */
  private lone = 0;

  /** A file descriptor has writes that a coming sync must cover. */
  markFile(fd: number): void {
    this.dirtyFiles.add(fd);
  }

  /** A directory gained an entry (a new file) that a coming sync must make durable. */
  markDir(dir: string): void {
    this.dirtyDirs.add(dir);
  }

  /** Resolves once everything marked before the call is durable. */
  sync(options: { alone?: boolean } = {}): Promise<void> {
    if (this.next) return this.next;
    if (this.current) {
      this.next = this.current.then(
        () => this.startBatch(),
        () => this.startBatch(),
      );
      return this.next;
    }
    if (this.dirtyFiles.size === 0 && this.dirtyDirs.size === 0) return Promise.resolve();
    if (options.alone && this.dirtyFiles.size === 1 && this.dirtyDirs.size === 0 && this.lone < INLINE_MAX_MS) return this.syncInline();
    return this.startBatch();
  }

  private syncInline(): Promise<void> {
    const [fd] = this.dirtyFiles;
    this.dirtyFiles.clear();
    this.syncs++;
    const began = performance.now();
    try {
      fs.fdatasyncSync(fd);
    } catch (e) {
      return Promise.reject(e);
    } finally {
      this.noteLone(performance.now() - began);
    }
    return Promise.resolve();
  }

  private noteLone(ms: number): void {
    this.lone = this.lone * 0.8 + ms * 0.2;
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
    const began = performance.now();
    const batch = Promise.all([...files.map(fdatasync), ...dirs.map(fsyncDir)])
      .then(() => undefined)
      .finally(() => {
        // a slow lone flush here keeps the next ones off the calling thread until they are quick again
        if (files.length === 1 && dirs.length === 0) this.noteLone(performance.now() - began);
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
