/**
 * The run event log on the local file system. Runs share append-only segment files, one open
 * per hour folder (`<dir>/<YYYYMMDD-HH>/<made>-<pid>-<rand>.seg`, the hour of the run's id),
 * so starting a run creates no file: on the disks Keel runs on, creating a file costs more
 * than a whole run of pure nodes. Lines are written into zero-filled space kept ahead of them
 * (READY_STEP), so a flush does not have to record a new file size.
 *
 * `open.log` is the journal a restart reads to find what to resume: runs created and finished
 * (`+id`, `-id`), and segments opened and sealed (`@<hour>/<name>`, `#<hour>/<name>`). Only
 * the `@` of a new segment is flushed with the segment's first lines, and the journal is
 * flushed when a segment is sealed; a run's `+id` is not flushed for its own sake, so its first
 * flush covers one file. A run whose `+id` a power cut lost still has its lines in a segment
 * opened and not sealed, and a restart looks through those.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CorruptError, KeelError } from "../../runtime/errors.ts";
import { isRunId, runIdHour } from "../../runtime/ids.ts";
import type { RunEvent, RunEventBody } from "../../runtime/schema/events.ts";
import type { AppendOptions, EventStore, RunLog } from "../../runtime/stores.ts";
import { GroupCommit } from "./group-commit.ts";
import { encodeSegmentLine, type FoundLine, type RunRange } from "./segment-codec.ts";
import { writeIndex } from "./segment-index.ts";
import { SEGMENT_NAME, SegmentReader } from "./segment-reader.ts";

/** A segment is sealed and a new one started once it holds this many bytes. */
const SEGMENT_MAX = 8 * 1024 * 1024;
/** Hour folders with an open segment at once (runs that wake up later write into their own hour). */
const OPEN_SEGMENTS = 8;
/**
 * A segment is zero-filled this far ahead of its writes. An fdatasync after writing into space
 * that already exists has only data to flush; after an append it must also journal the file's
 * new size, which here made each flush before an action's call about a third slower.
 */
const READY_STEP = 1024 * 1024;
/** How the journal names a segment: `<YYYYMMDD-HH>/<segment file>`. */
const SEGMENT_PATH = new RegExp(`^\\d{8}-\\d{2}/${SEGMENT_NAME.source.slice(1)}`);

interface OpenSegment {
  file: string;
  hour: string;
  fd: number;
  /** Bytes written plus bytes pending. */
  bytes: number;
  /** Bytes written: where the next write goes. */
  written: number;
  /** Length of the file: zero-filled space ahead of the writes (see READY_STEP). */
  ready: number;
  /** Lines appended and not yet written, in order. */
  pending: string;
  ranges: Map<string, RunRange>;
}

interface OpenRun {
  seq: number;
  hash: string;
  hour: string;
  /** In motion: created or appended to since it was last released. */
  moving: boolean;
}

/** Options for the segment event store. */
export interface SegmentEventStoreOptions {
  /** Folder of the run logs (`<data>/runs`). */
  dir: string;
  /** Bytes after which a segment is sealed (tests make it small). */
  segmentMax?: number;
}

export class SegmentEventStore implements EventStore {
  private readonly dir: string;
  private readonly segmentMax: number;
  private readonly runs = new Map<string, OpenRun>();
  private readonly segments = new Map<string, OpenSegment>();
  private readonly segmentByFile = new Map<string, OpenSegment>();
  private readonly reader: SegmentReader;
  private readonly commit = new GroupCommit();
  /** `<dir>/open.log`, the journal of open runs and unsealed segments. */
  private readonly journalFile: string;
  private journalFd: number | null = null;
  /** Journal lines not yet written: they go out with the next segment write, sync or close. */
  private journalPending = "";
  /** Among them is a line that must be flushed with the next sync (a new segment's `@`). */
  private journalMustFlush = false;
  private readonly unwritten = new Set<OpenSegment>();
  private moving = 0;
  private appends = 0;
  private writes = 0;

  constructor(options: SegmentEventStoreOptions) {
    this.dir = options.dir;
    this.segmentMax = options.segmentMax ?? SEGMENT_MAX;
    this.journalFile = path.join(this.dir, "open.log");
    fs.mkdirSync(this.dir, { recursive: true });
    this.reader = new SegmentReader(this.dir, (file) => this.segmentByFile.get(file)?.ranges);
  }

  create(runId: string): void {
    const hour = path.basename(this.reader.hourDirOf(runId));
    if (this.runs.has(runId) || this.segments.get(hour)?.ranges.has(runId)) throw new KeelError("CONFLICT", `run ${runId} already exists`);
    this.journal(`+${runId}\n`);
    this.runs.set(runId, { seq: 0, hash: runId, hour, moving: true });
    this.moving++;
  }

  append(runId: string, body: RunEventBody & { ts?: number }, options?: AppendOptions): RunEvent {
    const run = this.runs.get(runId);
    if (!run) throw new KeelError("INTERNAL", `run ${runId} is not open for appending (create or reopen it first)`);
    const event = { ...body, ts: body.ts ?? Date.now(), seq: run.seq + 1 } as RunEvent;
    const { line, hash } = encodeSegmentLine(runId, run.hash, event);
    const seg = this.segmentFor(run.hour);
    const at = seg.bytes;
    seg.bytes += Buffer.byteLength(line);
    seg.pending += line;
    const range = seg.ranges.get(runId);
    if (range) {
      range.end = seg.bytes;
      range.count++;
    } else seg.ranges.set(runId, { first: at, end: seg.bytes, count: 1 });
    run.seq = event.seq;
    run.hash = hash;
    if (!run.moving) {
      run.moving = true;
      this.moving++;
    }
    this.appends++;
    if (options?.defer) this.unwritten.add(seg);
    else this.write(seg);
    return event;
  }

  flush(runId: string): void {
    const run = this.runs.get(runId);
    const seg = run && this.segments.get(run.hour);
    if (seg?.pending) this.write(seg);
  }

  /** One write(2) of every line pending in a segment, whichever runs they belong to. */
  private write(seg: OpenSegment): void {
    this.writeJournal(); // a run's `+id` reaches the journal before its first event reaches a segment
    const text = seg.pending;
    seg.pending = "";
    this.unwritten.delete(seg);
    if (!text) return;
    try {
      if (seg.bytes > seg.ready) this.makeReady(seg, seg.bytes);
      writeAll(seg.fd, text, seg.written);
      seg.written = seg.bytes;
    } catch (e) {
      // a part of the text may have landed: nothing more goes into this segment, after a torn line
      this.segments.delete(seg.hour);
      this.segmentByFile.delete(seg.file);
      throw e;
    }
    this.commit.markFile(seg.fd);
    this.writes++;
  }

  private writePending(): void {
    this.writeJournal();
    for (const seg of this.unwritten) this.write(seg);
  }

  sync(): Promise<void> {
    this.writePending();
    // with one run in motion, no other run can join this flush
    return this.commit.sync({ alone: this.moving === 1 });
  }

  async read(runId: string): Promise<RunLog> {
    this.writePending();
    const { events, tornTail } = this.reader.read(runId);
    return { events, tornTail };
  }

  async reopen(runId: string): Promise<RunLog> {
    if (this.runs.has(runId)) return this.read(runId);
    this.writePending();
    const stored = this.reader.read(runId);
    if (stored.events.length === 0) throw new CorruptError(`run ${runId}: its only line was cut short; it holds no events`);
    // A torn last line stays where it is (never overwritten); the run goes on in a newer segment.
    this.runs.set(runId, { seq: stored.events.length, hash: stored.lastHash, hour: path.basename(this.reader.hourDirOf(runId)), moving: false });
    return { events: stored.events, tornTail: stored.tornTail };
  }

  release(runId: string): void {
    this.flush(runId);
    const run = this.runs.get(runId);
    if (run?.moving) {
      run.moving = false;
      this.moving--;
    }
  }

  finish(runId: string): void {
    this.release(runId);
    this.runs.delete(runId);
    this.journal(`-${runId}\n`);
  }

  /** Where a run's lines are stored, oldest first (for tools and tests). */
  locate(runId: string): { lines: FoundLine[]; tornTail: boolean } {
    this.writePending();
    return this.reader.locate(runId);
  }

  async openRuns(): Promise<string[]> {
    let text: string;
    this.writePending();
    try {
      // read and compact in one synchronous step, so no journal line written meanwhile is lost
      text = fs.readFileSync(this.journalFile, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const open = new Set<string>();
    const finished = new Set<string>();
    const unsealed = new Set<string>();
    const lines = text.split("\n");
    for (const line of lines) {
      const rest = line.slice(1);
      if (line[0] === "+" && isRunId(rest)) open.add(rest);
      else if (line[0] === "-") {
        open.delete(rest);
        finished.add(rest);
      } else if (line[0] === "@") unsealed.add(rest);
      else if (line[0] === "#") unsealed.delete(rest);
    }
    // Segments a process opened and never sealed (it was killed): a run there may have lost its `+id`.
    let left = false;
    for (const name of unsealed) {
      const segment = path.join(this.dir, name);
      if (this.segmentByFile.has(segment) || !SEGMENT_PATH.test(name) || !fs.existsSync(segment)) continue;
      left = true;
      for (const id of this.reader.runsIn(segment)) if (!finished.has(id)) open.add(id);
    }
    // A run whose first event never made it whole (a crash right after the journal line) has
    // nothing to resume: nobody outside has seen it.
    const ids = [...open].filter((id) => this.reader.locate(id).lines.length > 0).sort();
    if (left || lines.length > 2 * ids.length + 1000) this.compactJournal(ids);
    return ids;
  }

  /**
   * Rewrites the journal with only the open runs (now all of them with a `+id`) and this
   * store's own open segments: temp file, fsync, rename.
   */
  private compactJournal(ids: string[]): void {
    if (this.journalFd !== null) {
      this.commit.close(this.journalFd);
      this.journalFd = null;
    }
    const tmp = `${this.journalFile}.tmp`;
    const fd = fs.openSync(tmp, "w");
    const own = [...this.segments.values()].map((seg) => `@${segmentName(seg.file)}\n`);
    writeAll(fd, ids.map((id) => `+${id}\n`).join("") + own.join(""));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.journalFile);
  }

  /**
   * Notes a journal line. It is written with the next segment write (so a run's `+id` is in
   * the journal before any of its events is in a segment), or by `sync` or `close`; `flush`
   * has the next sync make it durable. A `-id` that a power cut loses only makes the next
   * resume look at a finished run and close it again.
   */
  private journal(line: string, { flush = false } = {}): void {
    this.journalPending += line;
    if (flush) this.journalMustFlush = true;
  }

  private writeJournal(): void {
    if (!this.journalPending) return;
    if (this.journalFd === null) this.journalFd = fs.openSync(this.journalFile, "a");
    const text = this.journalPending;
    this.journalPending = "";
    writeAll(this.journalFd, text);
    if (this.journalMustFlush) this.commit.markFile(this.journalFd);
    this.journalMustFlush = false;
    this.writes++;
  }

  /** The open segment of an hour folder: the newest one this store made there, or a new one. */
  private segmentFor(hour: string): OpenSegment {
    const seg = this.segments.get(hour);
    if (seg && seg.bytes < this.segmentMax) return seg;
    if (seg) this.seal(seg, { synced: false });
    if (this.segments.size >= OPEN_SEGMENTS) this.seal(this.segments.values().next().value!, { synced: false });
    const hourDir = path.join(this.dir, hour);
    if (!fs.existsSync(hourDir)) {
      fs.mkdirSync(hourDir, { recursive: true });
      this.commit.markDir(this.dir);
    }
    const file = path.join(hourDir, `${this.newSegmentStamp(hourDir)}-${process.pid}-${randomBytes(4).toString("hex")}.seg`);
    const fresh: OpenSegment = { file, hour, fd: fs.openSync(file, "wx"), bytes: 0, written: 0, ready: 0, pending: "", ranges: new Map() };
    this.commit.markDir(hourDir);
    this.journal(`@${segmentName(file)}\n`, { flush: true });
    this.segments.set(hour, fresh);
    this.segmentByFile.set(file, fresh);
    return fresh;
  }

  /** A creation stamp that sorts after every segment already in the folder (segments are read in name order). */
  private newSegmentStamp(hourDir: string): string {
    let stamp = Date.now();
    const newest = this.reader.segmentsIn(hourDir).at(-1);
    if (newest) stamp = Math.max(stamp, parseInt(path.basename(newest).split("-")[0], 36) + 1);
    return stamp.toString(36).padStart(9, "0");
  }

  /**
   * Zero-fills the segment past `end`, a step ahead (not past where it will be sealed). A
   * reader takes zeros after the last line for space not yet written (no line holds a zero
   * byte: JSON escapes it); the next flush makes the new space durable with the lines.
   */
  private makeReady(seg: OpenSegment, end: number): void {
    const target = Math.max(end, Math.min(seg.ready + READY_STEP, this.segmentMax));
    const zeros = Buffer.alloc(Math.min(target - seg.ready, READY_STEP));
    while (seg.ready < target) seg.ready += fs.writeSync(seg.fd, zeros, 0, Math.min(zeros.length, target - seg.ready), seg.ready);
    this.commit.markFile(seg.fd);
  }

  /** Closes a segment for good: its lines made durable, its index written beside it. */
  private seal(seg: OpenSegment, { synced }: { synced: boolean }): void {
    this.write(seg);
    if (!synced) fs.fdatasyncSync(seg.fd);
    // every `+id` written so far becomes durable with the `#`: restarts need not look in this segment again
    this.journal(`#${segmentName(seg.file)}\n`);
    this.writeJournal();
    fs.fdatasyncSync(this.journalFd!);
    fs.ftruncateSync(seg.fd, seg.written); // the space kept ready is given back (a crash may leave it: readers skip it)
    this.commit.close(seg.fd);
    this.segments.delete(seg.hour);
    this.segmentByFile.delete(seg.file);
    const index = { ranges: seg.ranges };
    this.reader.sealed(seg.file, index);
    try {
      writeIndex(seg.file, seg.bytes, index);
    } catch {
      // the index only saves readers a scan; the segment itself is durable already
    }
  }

  /** Counters for benchmarks; `writes` counts write(2) calls to segments and the journal. */
  stats(): { syncs: number; appends: number; writes: number } {
    return { syncs: this.commit.syncs, appends: this.appends, writes: this.writes };
  }

  async close(): Promise<void> {
    this.writePending();
    await this.commit.sync();
    for (const seg of [...this.segments.values()]) this.seal(seg, { synced: true });
    this.runs.clear();
    this.moving = 0;
    if (this.journalFd !== null) {
      this.commit.close(this.journalFd);
      this.journalFd = null;
    }
  }
}

/** A segment as the journal names it: `<hour>/<file>`. */
function segmentName(file: string): string {
  return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}

/** write(2) until all of it is written (a short write happens on a full disk). */
function writeAll(fd: number, text: string, position: number | null = null): void {
  const n = fs.writeSync(fd, text, position);
  if (n === text.length) return; // every character one byte: all of it went out
  const buf = Buffer.from(text);
  for (let at = n; at < buf.length; ) at += fs.writeSync(fd, buf, at, buf.length - at, position === null ? null : position + at);
}
