/** Progress lines on stderr while a run executes: what started, finished, failed, waits. */
import type { RunEvent } from "../../runtime/schema/events.ts";

/** Prints a line per notable event to `write` (stderr by default). */
export function progressPrinter(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  const started = new Map<string, number>();
  return (runId: string, e: RunEvent): void => {
    switch (e.type) {
      case "run.created":
        started.set(runId, e.ts);
        return write(`▶ run ${runId} (${e.flow.id}) started`);
      case "run.resumed":
        return write(`▶ run ${runId} resumed`);
      case "node.started":
        return write(`  … ${e.node} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`);
      case "node.succeeded":
        return write(`  ✓ ${e.node} ${e.reused ? "reused from the earlier run" : `done in ${fmt(e.ms)}`}`);
      case "node.retry":
        return write(`  ↻ ${e.node} attempt ${e.attempt} failed: ${e.error.message}; retrying in ${fmt(e.delayMs)}`);
      case "node.failed":
        return write(`  ✗ ${e.node} failed after ${fmt(e.ms)}: ${e.error.message}`);
      case "node.skipped":
        return write(`  - ${e.node} skipped: ${e.reason}`);
      case "node.waiting":
        return write(`  ⏸ ${e.node} waiting for ${e.wait.kind}${e.wait.until ? ` until ${new Date(e.wait.until).toISOString()}` : ""}`);
      case "node.woken":
        return write(`  ▶ ${e.node} ${e.timedOut ? "timer fired" : "answered"}`);
      case "compensation.started":
        return write(`  ⤺ compensating ${e.node}`);
      case "compensation.failed":
        return write(`  ✗ compensation of ${e.node} failed: ${e.error.message}`);
      case "run.succeeded":
      case "run.failed":
      case "run.canceled": {
        const t0 = started.get(runId);
        started.delete(runId);
        return write(`■ run ${runId} ${e.type.slice(4)}${t0 === undefined ? "" : ` in ${fmt(e.ts - t0)}`}`);
      }
      case "run.waiting":
        return write(`⏸ run ${runId} is waiting`);
      default:
        return;
    }
  };
}

function fmt(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
