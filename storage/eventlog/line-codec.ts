/**
 * An event as `<hash> <json>\n` (segment-codec.ts puts the run id in front and decodes). The
 * hash covers the previous line's hash and this line's JSON, so each line is checksummed and a
 * run's log is a tamper-evident chain. The first line chains from the run id, so lines cannot be
 * moved between runs unnoticed.
 */
import { hash } from "node:crypto";
import type { RunEvent } from "../../runtime/schema/events.ts";

/** Characters of a line's checksum (a truncated sha256, hex). */
export const HASH_LEN = 32;

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
