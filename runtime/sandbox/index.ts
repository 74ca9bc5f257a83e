/**
 * The sandbox for user code: isolated-vm isolates (sandbox.ts) in a separate process
 * (process-sandbox.ts). One shared instance per Keel process, started on first use.
 */
import { ProcessSandbox, type ProcessSandboxOptions } from "./process-sandbox.ts";

export { Sandbox, type CodeRun, type SandboxOptions, type SandboxStats } from "./sandbox.ts";
export { ProcessSandbox, type ProcessSandboxOptions, type ProcessSandboxStats } from "./process-sandbox.ts";
export { locate, type CodeLocation, type SandboxFailure } from "./errors.ts";

let shared: ProcessSandbox | undefined;

/** The sandbox the code node uses: its process is started on first use, its isolates reused. */
export function sharedSandbox(options?: ProcessSandboxOptions): ProcessSandbox {
  shared ??= new ProcessSandbox(options);
  return shared;
}

/** Stops the shared sandbox's process (a new one is started on next use). */
export function closeSharedSandbox(): void {
  shared?.close();
  shared = undefined;
}
