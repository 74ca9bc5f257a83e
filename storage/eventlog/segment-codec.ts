/**
 * Run events live in segment files that many runs share: one line per event,
 * `<runId> <hash> <json>\n`. The hash chain is per run (line-codec.ts), starting from the run
 * id, so a line cannot move to another run or be dropped from the middle unnoticed; the run id
 * in front lets a reader pick a run's lines out of a segment without parsing the others.
 * Zeros after the last line are space the writer kept ready: no line holds a zero byte (JSON
 * escapes it), so a line cut short by a crash ends without its newline, and zeros amid lines
 * (a write the disk lost) fail the checksum of the line they fall in.
 */
import { CorruptError } from "../../runtime/errors.ts";
import { isRunId } from "../../runtime/ids.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { chainHash, encodeLine, HASH_LEN } from "./line-codec.ts";

/** Length of a run id (`r-20261124-133501-3f9c2a1b00`, 28 characters): every line starts with one and a space. */
export const RUN_ID_LEN = 28;
const NL = 10;

/** Encodes one event of a run as a segment line; returns the line and its hash. */
export function encodeSegmentLine(runId: string, prev: string, event: RunEvent): { line: string; hash: string } {
  const { line, hash } = encodeLine(prev, event);
  return { line: `${runId} ${line}`, hash };
}

/** Where a run's lines lie in one segment: the byte range holding all of them, and how many. */
export interface RunRange {
  first: number;
  end: number;
  count: number;
}

/** A line of one run, found in a segment. */
export interface FoundLine {
  file: string;
  /** Byte offset of the line in the segment. */
  at: number;
  /** `<hash> <json>`, without the run id and the newline. */
  body: string;
}

/** What a whole-segment scan found. */
export interface SegmentScan {
  ranges: Map<string, RunRange>;
  /** Length up to the end of the last whole line. */
  goodBytes: number;
  /** The run whose line a crash cut short at the segment's end (when its id survived). */
  tornRun?: string;
  /** Offsets of whole lines that belong to no run (their run id is damaged). */
  strays: number[];
}

/** Scans a whole segment: which runs it holds where. Cheap: the JSON is not parsed. */
export function scanSegment(buf: Buffer): SegmentScan {
  const ranges = new Map<string, RunRange>();
  const strays: number[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(NL, at);
    const runId = buf.toString("latin1", at, Math.min(at + RUN_ID_LEN, buf.length));
    const known = buf[at + RUN_ID_LEN] === 0x20 && isRunId(runId);
    if (nl === -1) return { ranges, goodBytes: at, tornRun: known ? runId : undefined, strays };
    if (known) {
      const r = ranges.get(runId);
      if (r) {
        r.end = nl + 1;
        r.count++;
      } else ranges.set(runId, { first: at, end: nl + 1, count: 1 });
    } else strays.push(at);
    at = nl + 1;
  }
  return { ranges, goodBytes: at, strays };
}

/** The lines of one run within `buf` (a slice of a segment starting at byte `base`). */
export function linesOf(runId: string, file: string, buf: Buffer, base: number): { lines: FoundLine[]; torn: boolean } {
  const lines: FoundLine[] = [];
  const prefix = Buffer.from(`${runId} `, "latin1");
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(NL, at);
    // a torn tail may be shorter than a run id
    const mine = at + prefix.length <= buf.length && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
    if (nl === -1) return { lines, torn: mine };
    if (mine) lines.push({ file, at: base + at, body: buf.toString("utf8", at + prefix.length, nl) });
    at = nl + 1;
  }
  return { lines, torn: false };
}

/** A run's events, verified: what decoding its lines found. */
export interface DecodedRun {
  events: RunEvent[];
  /** Hash of the last event: the chain continues from it. */
  lastHash: string;
}

/**
 * Verifies a run's lines, in the order they were written: each line's checksum, the chain from one
 * event to the next, and seq 1, 2, 3… with none missing. Any fault is corruption, reported
 * with the run, the segment and the line number there, and nothing is changed.
 */
export function decodeRun(runId: string, found: FoundLine[], lineNumber: (file: string, at: number) => number): DecodedRun {
  const fail = (line: FoundLine, why: string) => {
    const lineNo = lineNumber(line.file, line.at);
    return new CorruptError(`run ${runId}: line ${lineNo} of ${line.file} is corrupt (${why}); the log is left as it is`, {
      details: { runId, file: line.file, line: lineNo },
    });
  };
  // segments are read in the order they were made, and a run only ever writes to its newest one
  let prev = runId;
  const events: RunEvent[] = [];
  for (const line of found) {
    const sp = line.body.indexOf(" ");
    if (sp !== HASH_LEN) throw fail(line, "no checksum");
    const json = line.body.slice(sp + 1);
    const hash = line.body.slice(0, sp);
    if (chainHash(prev, json) !== hash) throw fail(line, "checksum mismatch");
    let event: RunEvent;
    try {
      event = JSON.parse(json) as RunEvent;
    } catch {
      throw fail(line, "not JSON");
    }
    if (event.seq !== events.length + 1) throw fail(line, `seq ${event.seq} where ${events.length + 1} was expected`);
    events.push(event);
    prev = hash;
  }
  return { events, lastHash: prev };
}
