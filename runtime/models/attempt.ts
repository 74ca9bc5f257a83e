/**
 * One attempt at a provider under a timeout: the attempt's signal aborts on the caller's
 * signal or the timeout, and the attempt settles even if a provider ignores its signal.
 */
import { KeelError } from "../errors.ts";
import { ProviderFailure } from "./provider.ts";

/** Runs `call` with a signal that aborts after `timeoutMs` or when `outer` does. */
export async function withTimeout<T>(provider: string, timeoutMs: number, outer: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  throwIfAborted(outer);
  const timeout = new AbortController();
  const signal = AbortSignal.any([outer, timeout.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => {}); // settled by the race below, or never looked at
  timer = setTimeout(() => timeout.abort(), timeoutMs);
  try {
    return await Promise.race([call(signal), aborted]);
  } catch (e) {
    if (outer.aborted) throw canceled(outer);
    if (timeout.signal.aborted) throw new ProviderFailure(provider, "timeout", `no answer within ${timeoutMs} ms`, { cause: e });
    throw e;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** Throws the cancellation when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw canceled(signal);
}

function canceled(signal: AbortSignal): KeelError {
  const reason = signal.reason;
  if (reason instanceof KeelError) return reason;
  return new KeelError("CANCELED", "the model call was canceled", { cause: reason });
}

/** Waits `ms`, or less when `signal` aborts (then throws the cancellation). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(canceled(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(canceled(signal));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
