/**
 * A sealed segment's index, `<segment>.idx`: which runs it holds, where and how many lines
 * each. It is derived data, written once the segment will not grow again: a missing, damaged
 * or out-of-date index (the segment's size differs) is ignored and the segment is scanned.
 */
import fs from "node:fs";
import { isRunId } from "../../runtime/ids.ts";
import type { RunRange } from "./segment-codec.ts";

const HEADER = "keel-segment-index 1";

/** What an index says about its segment. */
export interface SegmentIndex {
  ranges: Map<string, RunRange>;
  /** The run whose last line a crash cut short at the segment's end. */
  tornRun?: string;
}

export function indexFileOf(segment: string): string {
  return `${segment}.idx`;
}

/** Writes the index beside the segment: temp file, then rename, so a reader sees all or none. */
export function writeIndex(segment: string, size: number, index: SegmentIndex): void {
  let text = `${HEADER} ${size}\n`;
  for (const [runId, r] of index.ranges) text += `${runId} ${r.first} ${r.end} ${r.count}\n`;
  if (index.tornRun) text += `torn ${index.tornRun}\n`;
  text += `end ${index.ranges.size}\n`;
  const tmp = `${indexFileOf(segment)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, indexFileOf(segment));
}

/** Reads the index of a segment of `size` bytes; undefined when there is none worth trusting. */
export function readIndex(segment: string, size: number): SegmentIndex | undefined {
  let text: string;
  try {
    text = fs.readFileSync(indexFileOf(segment), "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  if (lines[0] !== `${HEADER} ${size}` || lines.at(-1) !== "") return undefined;
  const ranges = new Map<string, RunRange>();
  let tornRun: string | undefined;
  for (const line of lines.slice(1, -2)) {
    const [a, b, c, d] = line.split(" ");
    if (a === "torn" && isRunId(b)) tornRun = b;
    else if (isRunId(a)) {
      const r = { first: Number(b), end: Number(c), count: Number(d) };
      if (![r.first, r.end, r.count].every(Number.isSafeInteger) || r.first >= r.end || r.end > size) return undefined;
      ranges.set(a, r);
    } else return undefined;
  }
  if (lines.at(-2) !== `end ${ranges.size}`) return undefined;
  if (size > 0 && ranges.size === 0 && !tornRun) return undefined; // a segment holds at least one line
  return { ranges, tornRun };
}
