/**
 * Finds and verifies a run's events in the segments of its hour folder
 * (`<runs>/<YYYYMMDD-HH>/<made>-<pid>-<rand>.seg`). A run id names its hour, so only that
 * folder is looked at; sealed segments say through their index where each run is, the others
 * (being written, or left by a process that died) are scanned.
 */
import fs from "node:fs";
import path from "node:path";
import { CorruptError, KeelError } from "../../runtime/errors.ts";
import { isRunId, runIdHour } from "../../runtime/ids.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { decodeRun, linesOf, scanSegment, type FoundLine, type RunRange } from "./segment-codec.ts";
import { alive } from "../lock.ts";
import { readIndex, writeIndex, type SegmentIndex } from "./segment-index.ts";

/** `<made, base 36>-<writer pid>-<random>.seg`: names sort in the order the segments were made. */
export const SEGMENT_NAME = /^[0-9a-z]{9}-\d+-[0-9a-z]+\.seg$/;

/** Sealed segments' indexes kept in memory. */
const CACHED_INDEXES = 256;

/** A run as read from its segments. */
export interface StoredRun {
  events: RunEvent[];
  lastHash: string;
  /** The run's last line was cut short by a crash, and nothing was written for it since. */
  tornTail: boolean;
}

export class SegmentReader {
  private readonly indexes = new Map<string, SegmentIndex>();

  /**
   * @param dir the runs folder
   * @param own where this process's own open segments hold each run (they have no index yet)
   */
  constructor(
    readonly dir: string,
    private readonly own: (file: string) => Map<string, RunRange> | undefined = () => undefined,
  ) {}

  /** The hour folder of a run; NOT_FOUND for anything that is not a run id. */
  hourDirOf(runId: string): string {
    if (!isRunId(runId)) throw new KeelError("NOT_FOUND", `no run ${JSON.stringify(runId)} (not a run id)`);
    return path.join(this.dir, runIdHour(runId));
  }

  /** The segments of an hour folder, oldest first. */
  segmentsIn(hourDir: string): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(hourDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    return names
      .filter((n) => SEGMENT_NAME.test(n))
      .sort()
      .map((n) => path.join(hourDir, n));
  }

  /** Where a run's whole lines are, in the order they were written, and whether a torn line ends them. */
  locate(runId: string): { lines: FoundLine[]; tornTail: boolean } {
    const lines: FoundLine[] = [];
    let lastWithLines = -1;
    let tornIn = -1;
    for (const [i, file] of this.segmentsIn(this.hourDirOf(runId)).entries()) {
      const found = this.linesIn(runId, file);
      if (found.lines.length) {
        lines.push(...found.lines);
        lastWithLines = i;
      }
      if (found.torn) tornIn = i;
    }
    // a torn line is the end of the run only if the run wrote nothing after it (a restart continues in a newer segment)
    return { lines, tornTail: tornIn >= 0 && tornIn >= lastWithLines };
  }

  /** Reads and verifies a run; NOT_FOUND when no segment holds a line of it. */
  read(runId: string): StoredRun {
    const { lines, tornTail } = this.locate(runId);
    if (lines.length === 0 && !tornTail) throw new KeelError("NOT_FOUND", `no run ${runId}`);
    const decoded = decodeRun(runId, lines, (file, at) => lineNumber(file, at));
    return { ...decoded, tornTail };
  }

  /** Every run with a line in the folder. */
  runIds(): string[] {
    const ids = new Set<string>();
    let hours: string[] = [];
    try {
      hours = fs.readdirSync(this.dir).filter((h) => /^\d{8}-\d{2}$/.test(h));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    for (const hour of hours.sort()) {
      for (const file of this.segmentsIn(path.join(this.dir, hour))) for (const id of this.runsIn(file)) ids.add(id);
    }
    return [...ids].sort();
  }

  /** The runs with a line in a segment, whole or torn: from its index when it has one, else a scan. */
  runsIn(file: string): string[] {
    const { ranges, tornRun } = this.indexOf(file) ?? scanSegment(fs.readFileSync(file));
    return tornRun && !ranges.has(tornRun) ? [...ranges.keys(), tornRun] : [...ranges.keys()];
  }

  private linesIn(runId: string, file: string): { lines: FoundLine[]; torn: boolean } {
    const own = this.own(file);
    if (own) {
      const range = own.get(runId);
      return range ? this.linesInRange(runId, file, range) : { lines: [], torn: false };
    }
    const index = this.indexOf(file);
    if (!index) return linesOf(runId, file, fs.readFileSync(file), 0);
    const range = index.ranges.get(runId);
    const found = range ? this.linesInRange(runId, file, range) : { lines: [], torn: false };
    return { lines: found.lines, torn: index.tornRun === runId };
  }

  private linesInRange(runId: string, file: string, range: RunRange): { lines: FoundLine[]; torn: boolean } {
    const buf = Buffer.allocUnsafe(range.end - range.first);
    const fd = fs.openSync(file, "r");
    let got = 0;
    try {
      while (got < buf.length) {
        const n = fs.readSync(fd, buf, got, buf.length - got, range.first + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    const found = linesOf(runId, file, buf.subarray(0, got), range.first);
    if (found.lines.length !== range.count) {
      throw new CorruptError(
        `run ${runId}: ${file} holds ${found.lines.length} of its lines where ${range.count} were written (a line is damaged or missing); the log is left as it is`,
        { details: { runId, file } },
      );
    }
    return { lines: found.lines, torn: false };
  }

  /**
   * The index of a sealed segment. A segment without one whose writer is gone (killed) will
   * not grow again: it is scanned once and its index written, so later reads are quick.
   */
  private indexOf(file: string): SegmentIndex | undefined {
    const cached = this.indexes.get(file);
    if (cached) return cached;
    const size = fs.statSync(file).size;
    let index = readIndex(file, size);
    if (!index && writerIsGone(file)) {
      const scan = scanSegment(fs.readFileSync(file));
      index = { ranges: scan.ranges, tornRun: scan.tornRun };
      try {
        writeIndex(file, size, index);
      } catch {
        // a read-only folder: scanning again next time is slower, not wrong
      }
    }
    if (!index) return undefined;
    if (this.indexes.size >= CACHED_INDEXES) this.indexes.delete(this.indexes.keys().next().value!);
    this.indexes.set(file, index);
    return index;
  }

  /** Remembers the index of a segment this process has just sealed. */
  sealed(file: string, index: SegmentIndex): void {
    if (this.indexes.size >= CACHED_INDEXES) this.indexes.delete(this.indexes.keys().next().value!);
    this.indexes.set(file, index);
  }
}

/** The 1-based line number of the line at byte `at` of a file (for error messages only). */
function lineNumber(file: string, at: number): number {
  const buf = fs.readFileSync(file).subarray(0, at);
  let n = 1;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** The segment's name carries its writer's pid: `<made>-<pid>-<rand>.seg`. */
function writerIsGone(file: string): boolean {
  const pid = Number(path.basename(file).split("-")[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false; // another store in this process may still be writing it
  return !alive(pid);
}

/** Every run in a runs folder, decoded and verified (tools and tests). */
export function readAllRuns(dir: string): Array<{ runId: string } & StoredRun> {
  const reader = new SegmentReader(dir);
  return reader.runIds().map((runId) => ({ runId, ...reader.read(runId) }));
}
