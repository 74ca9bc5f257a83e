import { describe, expect, it } from "vitest";
import type { CorruptError } from "../../runtime/errors.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { decodeRun, encodeSegmentLine, linesOf } from "./segment-codec.ts";

const RUN = "r-20260101-000000-00000000aa";
const OTHER = "r-20260101-000000-00000000bb";
const FILE = "/data/runs/20260101-00/x.seg";

/** Lines of a run's events, each `<run id> <hash> <json>\n`; `chainFrom` is the run whose chain they carry. */
function logOf(runId: string, n: number, chainFrom = runId): { lines: string[]; buf: Buffer } {
  let prev = chainFrom;
  const lines: string[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const event = { type: "node.log", node: "x", message: `m${seq}`, seq, ts: seq } as RunEvent;
    const { line, hash } = encodeSegmentLine(runId, prev, event);
    lines.push(line);
    prev = hash;
  }
  return { lines, buf: Buffer.from(lines.join("")) };
}

function decode(buf: Buffer, runId = RUN) {
  const { lines, torn } = linesOf(runId, FILE, buf, 0);
  const lineNumber = (_file: string, at: number) => buf.subarray(0, at).toString("latin1").split("\n").length;
  return { ...decodeRun(runId, lines, lineNumber), torn };
}

function corruptLine(buf: Buffer, runId = RUN): number | undefined {
  try {
    decode(buf, runId);
  } catch (e) {
    const err = e as CorruptError;
    expect(err.code).toBe("CORRUPT");
    expect(err.message).toContain(runId);
    expect(err.message).toContain(FILE);
    return (err.details as { line: number }).line;
  }
  return undefined;
}

describe("the log line codec", () => {
  it("round-trips a chain of events", () => {
    const { buf } = logOf(RUN, 5);
    const d = decode(buf);
    expect(d.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(d.torn).toBe(false);
  });

  it("drops a last line without its newline as torn", () => {
    const { lines, buf } = logOf(RUN, 3);
    const torn = Buffer.concat([buf, Buffer.from(lines[0].slice(0, 40))]);
    const d = decode(torn);
    expect(d.torn).toBe(true);
    expect(d.events).toHaveLength(3);
    // a crash that left zero bytes after the last line leaves no data of the run
    expect(decode(Buffer.concat([buf, Buffer.alloc(64)])).events).toHaveLength(3);
  });

  it("names the line of a changed byte", () => {
    const { lines, buf } = logOf(RUN, 5);
    const at = lines[0].length + lines[1].length + 70; // inside line 3
    buf[at] = buf[at] ^ 0x01;
    expect(corruptLine(buf)).toBe(3);
  });

  it("names the line of a changed checksum", () => {
    const { lines, buf } = logOf(RUN, 4);
    const at = lines[0].length + RUN.length + 3; // the hash of line 2
    buf[at] = buf[at] === 0x30 ? 0x31 : 0x30;
    expect(corruptLine(buf)).toBe(2);
  });

  it("notices a line removed from the middle, and lines swapped", () => {
    const { lines } = logOf(RUN, 4);
    expect(corruptLine(Buffer.from([lines[0], lines[2], lines[3]].join("")))).toBe(2);
    expect(corruptLine(Buffer.from([lines[0], lines[2], lines[1], lines[3]].join("")))).toBe(2);
  });

  it("notices a log moved to another run", () => {
    const { buf } = logOf(RUN, 2, OTHER); // the run id of RUN in front, the chain of OTHER
    expect(corruptLine(buf, RUN)).toBe(1);
  });

  it("notices a line of the run that is not a log line at all", () => {
    const { lines } = logOf(RUN, 2);
    expect(corruptLine(Buffer.from(`${lines[0]}${RUN} hello world\n${lines[1]}`))).toBe(2);
  });
});
