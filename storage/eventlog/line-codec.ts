/**
 * One event per line: `<hash> <json>\n`. The hash covers the previous line's hash and this
 * line's JSON, so each line is checksummed and the log is a tamper-evident chain. The first
 * line chains from the run id, so lines cannot be moved between runs unnoticed.
 */
import { hash } from "node:crypto";
import { CorruptError } from "../../runtime/errors.ts";
import type { RunEvent } from "../../runtime/schema/events.ts";

const HASH_LEN = 32;

export function chainHash(prev: string, json: string): string {
  // one-shot hashing: no Hash object per line (this runs for every event written or read)
  return hash("sha256", `${prev}\n${json}`, "hex").slice(0, HASH_LEN);
}

/** Encodes one event; returns the line and its hash (the next line's `prev`). */
export function encodeLine(prev: string, event: RunEvent): { line: string; hash: string } {
  const json = event.type === "run.created" ? createdJson(event) : JSON.stringify(event);
  const hash = chainHash(prev, json);
  return { line: `${hash} ${json}\n`, hash };
}

/** Every run of a flow starts with the whole flow: it is serialised once per flow object, not once per run. */
const flowJson = new WeakMap<object, string>();

function createdJson(event: Extract<RunEvent, { type: "run.created" }>): string {
  const { flow, ...rest } = event;
  let text = flowJson.get(flow);
  if (text === undefined) {
    text = JSON.stringify(flow);
    flowJson.set(flow, text);
  }
  return `{"flow":${text},${JSON.stringify(rest).slice(1)}`;
}

/** What decoding a whole log found. */
export interface DecodedLog {
  events: RunEvent[];
  /** Hash of the last good line: the chain continues from it. */
  lastHash: string;
  /** Byte length of the good part: a torn tail starts here. */
  goodBytes: number;
  tornTail: boolean;
}

/**
 * Decodes and verifies a log. A last line without its newline is a write a crash cut short:
 * it is reported as torn and dropped. Any other bad line is corruption, named by line number.
 */
export function decodeLog(runId: string, file: string, buf: Buffer): DecodedLog {
  const events: RunEvent[] = [];
  let prev = runId;
  let at = 0;
  let lineNo = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    if (nl === -1) return { events, lastHash: prev, goodBytes: at, tornTail: true };
    lineNo++;
    const line = buf.toString("utf8", at, nl);
    const sp = line.indexOf(" ");
    const fail = (why: string) =>
      new CorruptError(`run ${runId}: line ${lineNo} of ${file} is corrupt (${why}); the log is left as it is`, {
        details: { runId, file, line: lineNo },
      });
    if (sp !== HASH_LEN) throw fail("no checksum");
    const hash = line.slice(0, sp);
    const json = line.slice(sp + 1);
    if (chainHash(prev, json) !== hash) throw fail("checksum mismatch");
    let event: RunEvent;
    try {
      event = JSON.parse(json) as RunEvent;
    } catch {
      throw fail("not JSON");
    }
    if (event.seq !== lineNo) throw fail(`seq ${event.seq} where ${lineNo} was expected`);
    events.push(event);
    prev = hash;
    at = nl + 1;
  }
  return { events, lastHash: prev, goodBytes: at, tornTail: false };
}
