import path from "node:path";
import { KeelError, toKeelError } from "../../runtime/errors.ts";

/** The data folder from `--data`, `KEEL_DATA`, or `./.keel`. */
export function dataDirOf(opts: { data?: string }): string {
  return path.resolve(opts.data ?? process.env.KEEL_DATA ?? ".keel");
}

/** Exit codes shared by every command that reports a run. */
export const EXIT = { succeeded: 0, failed: 1, canceled: 1, waiting: 2, invalid: 3, running: 1 } as const;

/** Runs a command body; errors become a clear message on stderr and an exit code, never a stack trace. */
export function command<A extends unknown[]>(body: (...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await body(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      const err = toKeelError(e);
      process.stderr.write(`keel: ${err.message}\n`);
      if (err.code === "INTERNAL" && process.env.KEEL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = err.code === "VALIDATION" ? EXIT.invalid : 1;
    }
  };
}

/** Prints one JSON value on a line of stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export { KeelError };
