/** Turns what went wrong inside the sandbox into node errors that say what and where. */
import { KeelError } from "../errors.ts";
import { USER_FILENAME } from "./runner-source.ts";

/** Why user code failed. */
export type SandboxFailure = "syntax" | "thrown" | "timeout" | "memory" | "output" | "unsettled" | "input";

/** A place in the user's code, 1-based. */
export interface CodeLocation {
  line: number;
  column: number;
}

const LOCATION = new RegExp(`${USER_FILENAME.replace(".", "\\.")}:(\\d+):(\\d+)`);

/** The innermost place in the user's code that a stack (or a message) names. */
export function locate(text: string): CodeLocation | undefined {
  const lines = text.split("\n");
  // a frame inside code made by eval/Function names the user's line only as its origin: skip it
  const frames = lines.filter((l) => /^\s*at /.test(l) && !l.includes("eval at"));
  for (const candidate of [...frames, ...lines]) {
    const m = LOCATION.exec(candidate);
    if (!m) continue;
    const line = Number(m[1]);
    // line 0 is the wrapper's own first line: not the user's code
    if (line >= 1) return { line, column: Number(m[2]) };
  }
  return undefined;
}

/** A SANDBOX error (never retried: the same code fails the same way). */
export function sandboxError(reason: SandboxFailure, message: string, where?: CodeLocation, extra: Record<string, unknown> = {}): KeelError {
  const at = where ? ` (at line ${where.line}, column ${where.column} of the code)` : "";
  return new KeelError("SANDBOX", `${message}${at}`, {
    retryable: false,
    details: { reason, ...(where ? { line: where.line, column: where.column } : {}), ...extra },
  });
}

/** A syntax error from compiling: isolated-vm appends "[code.js:L:C]" to V8's message. */
export function syntaxError(error: unknown): KeelError {
  const raw = String((error as Error)?.message ?? error);
  const where = locate(raw);
  const message = raw.replace(/\s*\[[^\]]*\]\s*$/, "");
  return sandboxError("syntax", `SyntaxError: ${message}`, where);
}

/** An error the code threw (or a value it threw), described by the runner inside the isolate. */
export function thrownError(name: string, message: string, stack: string): KeelError {
  if (!name) return sandboxError("thrown", `the code threw a value that is not an Error: ${message}`, locate(stack));
  const text = message ? `${name}: ${message}` : name;
  return sandboxError("thrown", `the code threw ${text}`, locate(stack) ?? locate(message), { name });
}

/** The code ran past its time. `stack` is isolated-vm's timeout error, which names where it stopped. */
export function timeoutError(timeoutMs: number, stack = ""): KeelError {
  return sandboxError("timeout", `the code did not finish within ${timeoutMs} ms (timeoutMs)`, locate(stack), { timeoutMs });
}

/** The isolate hit its memory limit and was disposed. */
export function memoryError(memoryMb: number): KeelError {
  return sandboxError("memory", `the code used more than its ${memoryMb} MB of memory (memoryMb)`, undefined, { memoryMb });
}
