import { describe, expect, it } from "vitest";
import type { CorruptError } from "../../runtime/errors.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";
import { decodeLog, encodeLine } from "./line-codec.ts";

const RUN = "r-20260101-000000-00000000aa";
const OTHER = "r-20260101-000000-00000000bb";

function logOf(runId: string, n: number): { lines: string[]; buf: Buffer } {
  let prev = runId;
  const lines: string[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const event = { type: "node.log", node: "x", message: `m${seq}`, seq, ts: seq } as RunEvent;
    const { line, hash } = encodeLine(prev, event);
    lines.push(line);
    prev = hash;
  }
  return { lines, buf: Buffer.from(lines.join("")) };
}

function corruptLine(buf: Buffer, runId = RUN): number | undefined {
  try {
    decodeLog(runId, "/data/runs/x.log", buf);
  } catch (e) {
    const err = e as CorruptError;
    expect(err.code).toBe("CORRUPT");
    expect(err.message).toContain(runId);
    expect(err.message).toContain("/data/runs/x.log");
    return (err.details as { line: number }).line;
  }
  return undefined;
}

describe("the log line codec", () => {
  it("round-trips a chain of events", () => {
    const { buf } = logOf(RUN, 5);
    const d = decodeLog(RUN, "f", buf);
    expect(d.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(d.tornTail).toBe(false);
    expect(d.goodBytes).toBe(buf.length);
  });

  it("drops a last line without its newline as torn", () => {
    const { lines, buf } = logOf(RUN, 3);
    const torn = Buffer.concat([buf, Buffer.from(lines[0].slice(0, 20))]);
    const d = decodeLog(RUN, "f", torn);
    expect(d.tornTail).toBe(true);
    expect(d.events).toHaveLength(3);
    expect(d.goodBytes).toBe(buf.length);
    // a crash that left zero bytes after the last line is torn too, not data
    expect(decodeLog(RUN, "f", Buffer.concat([buf, Buffer.alloc(64)])).tornTail).toBe(true);
  });

  it("names the line of a changed byte", () => {
    const { lines, buf } = logOf(RUN, 5);
    const at = lines[0].length + lines[1].length + 40; // inside line 3
    buf[at] = buf[at] ^ 0x01;
    expect(corruptLine(buf)).toBe(3);
  });

  it("names the line of a changed checksum", () => {
    const { lines, buf } = logOf(RUN, 4);
    const at = lines[0].length + 2; // the hash of line 2
    buf[at] = buf[at] === 0x30 ? 0x31 : 0x30;
    expect(corruptLine(buf)).toBe(2);
  });

  it("notices a line removed from the middle, and lines swapped", () => {
    const { lines } = logOf(RUN, 4);
    expect(corruptLine(Buffer.from([lines[0], lines[2], lines[3]].join("")))).toBe(2);
    expect(corruptLine(Buffer.from([lines[0], lines[2], lines[1], lines[3]].join("")))).toBe(2);
  });

  it("notices a log moved to another run", () => {
    const { buf } = logOf(OTHER, 2);
    expect(corruptLine(buf, RUN)).toBe(1);
  });

  it("notices a line that is not a log line at all", () => {
    const { lines } = logOf(RUN, 2);
    expect(corruptLine(Buffer.from(`${lines[0]}hello world\n${lines[1]}`))).toBe(2);
    expect(corruptLine(Buffer.from(`\n${lines[0]}`))).toBe(1);
  });
});
