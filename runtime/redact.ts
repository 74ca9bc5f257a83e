/**
 * Keeps secrets out of everything a run writes. Every secret value handed to a run (a credential
 * field, a header built from one) is registered with the run; every event is then rewritten
 * before it is appended, with each occurrence, also inside a larger string or an object key,
 * replaced by `[secret:<name>]`. Common encodings of a value (base64, URL and JSON escaping)
 * are registered with it, since a header or a body often carries a secret in one of them.
 */
import type { Redactor } from "./coordinator.ts";
import type { RunEventBody } from "./schema/events.ts";

/** Values shorter than this are not registered: redacting them would garble ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/** One registered value and what replaces it. */
interface Entry {
  value: string;
  mark: string;
}

export class SecretRedactor implements Redactor {
  /** Per run: registered values, longest first (so a value inside another is not cut short). */
  private readonly runs = new Map<string, Entry[]>();

  register(runId: string, name: string, value: string): void {
    if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
    let entries = this.runs.get(runId);
    if (!entries) this.runs.set(runId, (entries = []));
    const mark = `[secret:${name}]`;
    for (const form of encodings(value)) {
      if (form.length < MIN_SECRET_LENGTH || entries.some((e) => e.value === form)) continue;
      entries.push({ value: form, mark });
    }
    entries.sort((a, b) => b.value.length - a.value.length);
  }

  /** The event with every registered secret of the run replaced; the same object when none occurs. */
  redact(runId: string, event: RunEventBody): RunEventBody {
    const entries = this.runs.get(runId);
    const out = entries ? (scrub(event, entries, 0) as RunEventBody) : event;
    // a finished run writes nothing more: forget its secrets
    if (event.type === "run.succeeded" || event.type === "run.failed" || event.type === "run.canceled") this.runs.delete(runId);
    return out;
  }

  /** Text with the run's secrets replaced. */
  redactText(runId: string, text: string): string {
    const entries = this.runs.get(runId);
    return entries ? replaceAll(text, entries) : text;
  }

  /** Text with the secrets of every run in this process replaced (engine faults, server logs). */
  redactAny(text: string): string {
    for (const entries of this.runs.values()) text = replaceAll(text, entries);
    return text;
  }

  /** Any value (an API response body) with every run's secrets replaced. */
  redactValue<T>(value: T): T {
    let out: unknown = value;
    for (const entries of this.runs.values()) out = scrub(out, entries, 0);
    return out as T;
  }

  /** Runs with registered secrets (tests, diagnostics). */
  size(): number {
    return this.runs.size;
  }
}

/** The forms a secret is likely to appear in. */
function encodings(value: string): string[] {
  const forms = new Set([value]);
  const b64 = Buffer.from(value, "utf8").toString("base64");
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ""));
  forms.add(Buffer.from(value, "utf8").toString("base64url"));
  forms.add(encodeURIComponent(value));
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms];
}

function replaceAll(text: string, entries: Entry[]): string {
  for (const e of entries) if (text.includes(e.value)) text = text.split(e.value).join(e.mark);
  return text;
}

/** Copies only what changes. Past 100 levels it works on the JSON text instead, so no depth escapes it. */
function scrub(value: unknown, entries: Entry[], depth: number): unknown {
  if (typeof value === "string") return replaceAll(value, entries);
  if (value === null || typeof value !== "object") return value;
  if (depth > 100) {
    const text = JSON.stringify(value);
    const clean = replaceAll(text, entries);
    return clean === text ? value : JSON.parse(clean);
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = scrub(value[i], entries, depth + 1);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  let changed = false;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = replaceAll(k, entries);
    const next = scrub(v, entries, depth + 1);
    if (key !== k || next !== v) changed = true;
    copy[key] = next;
  }
  return changed ? copy : value;
}
