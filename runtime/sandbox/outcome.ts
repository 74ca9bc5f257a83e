/** The host's side of one call: what the isolate reports through its one callback, checked. */
import ivm from "isolated-vm";
import type { KeelError } from "../errors.ts";
import { sandboxError, thrownError } from "./errors.ts";
import type { CodeRun } from "./sandbox.ts";

/** Limits the host applies to what the isolate reports. */
export interface OutcomeLimits {
  maxOutputBytes: number;
  maxLogLines: number;
  maxLogChars: number;
}

/** What the isolate reported through its one host callback during a call. */
export class Outcome {
  private readonly call: CodeRun;
  private readonly limits: OutcomeLimits;
  private value: { text: string } | undefined;
  private error: KeelError | undefined;
  private lines = 0;
  private dropped = 0;
  private open = true;

  constructor(call: CodeRun, limits: OutcomeLimits) {
    this.call = call;
    this.limits = limits;
  }

  /** The host side of `__keel_host(kind, …)`: every argument is checked, nothing is trusted. */
  readonly receive = (kind: unknown, a?: unknown, b?: unknown, c?: unknown): void => {
    if (!this.open || typeof kind !== "string") return;
    if (kind === "log") return this.log(typeof a === "string" ? a : String(a));
    if (kind === "dropped") {
      if (typeof a === "number" && a > this.dropped) this.dropped = Math.min(a, Number.MAX_SAFE_INTEGER);
      return;
    }
    if (this.value || this.error) return; // the first answer counts
    const text = (v: unknown) => (typeof v === "string" ? v : "");
    if (kind === "ok" && typeof a === "string") this.value = { text: a };
    else if (kind === "output") this.error = sandboxError("output", text(b) || "the code returned a value that is not JSON");
    else if (kind === "thrown") this.error = thrownError(text(a), text(b), text(c));
  };

  private log(line: string): void {
    if (this.lines >= this.limits.maxLogLines) {
      this.dropped++;
      return;
    }
    this.lines++;
    try {
      this.call.onLog?.(line.length > this.limits.maxLogChars ? `${line.slice(0, this.limits.maxLogChars)}…` : line);
    } catch {
      // a failing log sink must not fail the user's code
    }
  }

  /** Stops accepting reports (a stuck isolate may still call after its deadline). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    if (this.dropped) {
      const count = this.value || this.error ? `${this.dropped} more console line${this.dropped === 1 ? "" : "s"}` : "more console lines";
      try {
        this.call.onLog?.(`… ${count} dropped (the limit is ${this.limits.maxLogLines} per call)`);
      } catch {
        // as above
      }
    }
  }

  /** The output as JSON text, checked. */
  result(): string {
    if (this.error) throw this.error;
    if (!this.value) {
      throw sandboxError(
        "unsettled",
        "the code's promise never settled (code gets no timers or I/O, so nothing could ever resolve it)",
      );
    }
    const bytes = Buffer.byteLength(this.value.text);
    if (bytes > this.limits.maxOutputBytes) {
      throw sandboxError("output", `the output is ${bytes} bytes of JSON; the limit is ${this.limits.maxOutputBytes}`);
    }
    try {
      JSON.parse(this.value.text); // the isolate's JSON.stringify could have been replaced: check, never trust
    } catch (e) {
      throw sandboxError("output", `the code returned a value that is not JSON: ${(e as Error).message}`);
    }
    return this.value.text;
  }
}

/** Where a context's host callback sends reports: the call currently using that context. */
export interface Receiver {
  current: Outcome | undefined;
}

/** A context that ran only the bootstrap, and the slot its host callback reports to. */
export interface FreshContext {
  context: ivm.Context;
  receiver: Receiver;
}

export function hostCallback(receiver: Receiver): ivm.Callback {
  return new ivm.Callback((kind: unknown, a?: unknown, b?: unknown, c?: unknown) => receiver.current?.receive(kind, a, b, c));
}

