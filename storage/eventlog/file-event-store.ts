/**
 * The run event log on the local file system: one append-only file per run under
 * `<dir>/<YYYYMMDD-HH>/<runId>.log`, plus `open.log`, a journal of runs created and not yet
 * finished (`+id` / `-id` lines) that a restart reads to find what to resume.
 */
import fs from "node:fs";
import path from "node:path";
import { CorruptError, KeelError } from "../../runtime/errors.ts";
import { isRunId, runIdHour } from "../../runtime/ids.ts";
import type { RunEvent, RunEventBody } from "../../runtime/schema/events.ts";
import type { AppendOptions, EventStore, RunLog } from "../../runtime/stores.ts";
import { GroupCommit } from "./group-commit.ts";
import { decodeLog, encodeLine } from "./line-codec.ts";

/** Spare files kept ready for new runs. */
const SPARES = 8;

interface OpenRun {
  fd: number | null;
  seq: number;
  hash: string;
  file: string;
  /** Lines of deferred appends, not yet written. */
  pending: string;
}

/** Options for the file event store. */
export interface FileEventStoreOptions {
  /** Folder of the run logs (`<data>/runs`). */
  dir: string;
}

export class FileEventStore implements EventStore {
  private readonly dir: string;
  private readonly runs = new Map<string, OpenRun>();
  private readonly commit = new GroupCommit();
  private readonly madeDirs = new Set<string>();
  private journalFd: number | null = null;
  /** Journal lines not yet written: they go out with the next run-log write, sync or close. */
  private journalPending = "";
  private appends = 0;
  private writes = 0;
  /** Run logs open for writing (runs in motion; a waiting run lets go of its file). */
  private writing = 0;
  /** Runs with deferred lines: `sync` writes them before it flushes. */
  private readonly unwritten = new Set<OpenRun>();
  /**
   * Empty files made ahead of time off the main thread. On ext4, creating a file right after
   * an fdatasync can stall for a millisecond while the journal commits; renaming a spare into
   * place costs a few tens of microseconds.
   */
  private readonly spareDir: string;
  /** Spare files, most already open for appending (the fd follows the file when it is renamed). */
  private readonly spares: Array<{ file: string; fd: number | null }> = [];
  private refilling = false;
  private spareSeq = 0;
  private closed = false;

  constructor(options: FileEventStoreOptions) {
    this.dir = options.dir;
    this.spareDir = path.join(this.dir, ".spares");
    fs.mkdirSync(this.spareDir, { recursive: true });
    // spares left by an earlier process are empty files: reuse them
    for (const name of fs.readdirSync(this.spareDir)) this.spares.push({ file: path.join(this.spareDir, name), fd: null });
    this.refill();
  }

  private refill(): void {
    if (this.refilling || this.closed || this.spares.length >= SPARES) return;
    this.refilling = true;
    const file = path.join(this.spareDir, `${process.pid}-${Date.now()}-${this.spareSeq++}`);
    // callbacks, not fs.promises: a FileHandle costs more than the open itself
    fs.open(file, "ax", (err, fd) => {
      this.refilling = false;
      if (err) return; // the slow path (create in place) still works
      if (this.closed) {
        fs.close(fd, () => fs.rm(file, { force: true }, () => {}));
        return;
      }
      this.spares.push({ file, fd });
      this.refill();
    });
  }

  /** The log file of a run. */
  fileOf(runId: string): string {
    if (!isRunId(runId)) throw new KeelError("NOT_FOUND", `no run ${JSON.stringify(runId)} (not a run id)`);
    return path.join(this.dir, runIdHour(runId), `${runId}.log`);
  }

  create(runId: string): void {
    const file = this.fileOf(runId);
    const shard = path.dirname(file);
    if (!this.madeDirs.has(shard)) {
      if (!fs.existsSync(shard)) {
        fs.mkdirSync(shard, { recursive: true });
        this.commit.markDir(this.dir);
      }
      this.madeDirs.add(shard);
    }
    if (fs.existsSync(file)) throw new KeelError("CONFLICT", `run ${runId} already exists`);
    this.journal(`+${runId}\n`);
    const spare = this.spares.shift();
    let fd: number;
    if (spare) {
      fs.renameSync(spare.file, file);
      fd = spare.fd ?? fs.openSync(file, "a");
      this.refill();
    } else {
      fd = fs.openSync(file, "wx");
    }
    this.commit.markDir(shard);
    this.runs.set(runId, { fd, seq: 0, hash: runId, file, pending: "" });
    this.writing++;
  }

  append(runId: string, body: RunEventBody & { ts?: number }, options?: AppendOptions): RunEvent {
    const run = this.runs.get(runId);
    if (!run) throw new KeelError("INTERNAL", `run ${runId} is not open for appending (create or reopen it first)`);
    const event = { ...body, ts: body.ts ?? Date.now(), seq: run.seq + 1 } as RunEvent;
    const { line, hash } = encodeLine(run.hash, event);
    run.seq = event.seq;
    run.hash = hash;
    run.pending += line;
    this.appends++;
    if (options?.defer) this.unwritten.add(run);
    else this.write(run);
    return event;
  }

  flush(runId: string): void {
    const run = this.runs.get(runId);
    if (run?.pending) this.write(run);
  }

  /** One write(2) of everything the run has pending. */
  private write(run: OpenRun): void {
    this.writeJournal(); // a run's `+id` reaches the journal before its first event reaches its log
    if (run.fd === null) {
      run.fd = fs.openSync(run.file, "a");
      this.writing++;
    }
    const text = run.pending;
    run.pending = "";
    this.unwritten.delete(run);
    fs.writeSync(run.fd, text);
    this.commit.markFile(run.fd);
    this.writes++;
  }

  sync(): Promise<void> {
    this.writeJournal();
    for (const run of this.unwritten) this.write(run);
    // with one run log open for writing, no other run can join this flush
    return this.commit.sync({ alone: this.writing === 1 });
  }

  async read(runId: string): Promise<RunLog> {
    this.flush(runId);
    const { decoded } = await this.decode(runId);
    return { events: decoded.events, tornTail: decoded.tornTail };
  }

  async reopen(runId: string): Promise<RunLog> {
    const known = this.runs.get(runId);
    if (known) return this.read(runId);
    const { file, decoded } = await this.decode(runId);
    if (decoded.tornTail) {
      // Only the unfinished last write is cut away; every complete line stays as it was.
      fs.truncateSync(file, decoded.goodBytes);
    }
    if (decoded.events.length === 0) throw new CorruptError(`run ${runId}: ${file} holds no events`);
    this.runs.set(runId, { fd: null, seq: decoded.events.length, hash: decoded.lastHash, file, pending: "" });
    return { events: decoded.events, tornTail: decoded.tornTail };
  }

  /** Reads and verifies a run's log file; NOT_FOUND when there is none. */
  private async decode(runId: string): Promise<{ file: string; decoded: ReturnType<typeof decodeLog> }> {
    const file = this.fileOf(runId);
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new KeelError("NOT_FOUND", `no run ${runId}`);
      throw e;
    }
    return { file, decoded: decodeLog(runId, file, buf) };
  }

  release(runId: string): void {
    const run = this.runs.get(runId);
    if (run?.pending) this.write(run);
    if (run?.fd != null) {
      this.commit.close(run.fd);
      run.fd = null;
      this.writing--;
    }
  }

  finish(runId: string): void {
    this.release(runId);
    this.runs.delete(runId);
    this.journal(`-${runId}\n`);
  }

  async openRuns(): Promise<string[]> {
    const file = path.join(this.dir, "open.log");
    let text: string;
    this.writeJournal();
    try {
      // read and compact in one synchronous step, so no journal line written meanwhile is lost
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const open = new Set<string>();
    const lines = text.split("\n");
    for (const line of lines) {
      const id = line.slice(1);
      if (line[0] === "+" && isRunId(id)) open.add(id);
      else if (line[0] === "-") open.delete(id);
    }
    // A run whose log was never created, or whose first event never made it whole (a crash right
    // after the journal line), has nothing to resume: nobody outside has seen it.
    const ids = [...open].filter((id) => holdsAnEvent(this.fileOf(id)));
    if (lines.length > 2 * ids.length + 1000) this.compactJournal(file, ids);
    return ids.sort();
  }

  /** Rewrites the journal with only the open runs: temp file, fsync, rename. */
  private compactJournal(file: string, ids: string[]): void {
    if (this.journalFd !== null) {
      this.commit.close(this.journalFd);
      this.journalFd = null;
    }
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, "w");
    fs.writeSync(fd, ids.map((id) => `+${id}\n`).join(""));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  }

  /**
   * Notes a journal line. It is written with the next write to any run log (so a run's `+id`
   * is in the journal before any of its events is in its log), or by `sync` or `close`. A `-id`
   * that a kill loses only makes the next resume look at a finished run and close it again.
   */
  private journal(line: string): void {
    this.journalPending += line;
  }

  private writeJournal(): void {
    if (!this.journalPending) return;
    if (this.journalFd === null) this.journalFd = fs.openSync(path.join(this.dir, "open.log"), "a");
    const text = this.journalPending;
    this.journalPending = "";
    fs.writeSync(this.journalFd, text);
    this.commit.markFile(this.journalFd);
    this.writes++;
  }

  /** Counters for benchmarks; `writes` counts write(2) calls to run logs and the journal. */
  stats(): { syncs: number; appends: number; writes: number } {
    return { syncs: this.commit.syncs, appends: this.appends, writes: this.writes };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.unwritten) this.write(run);
    this.writeJournal();
    for (const spare of this.spares.splice(0)) {
      if (spare.fd !== null) fs.closeSync(spare.fd);
      fs.rmSync(spare.file, { force: true });
    }
    await this.commit.sync();
    for (const id of [...this.runs.keys()]) this.release(id);
    this.runs.clear();
    if (this.journalFd !== null) {
      this.commit.close(this.journalFd);
      this.journalFd = null;
    }
  }
}

/** True when the file exists and holds at least one whole line. */
function holdsAnEvent(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return false;
      if (buf.subarray(0, n).includes(10)) return true;
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}
