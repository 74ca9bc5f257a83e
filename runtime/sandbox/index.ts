/** The sandbox for user code (isolated-vm): one shared instance per process, made on first use. */
import { Sandbox, type SandboxOptions } from "./sandbox.ts";

export { Sandbox, type CodeRun, type SandboxOptions, type SandboxStats } from "./sandbox.ts";
export { locate, type CodeLocation, type SandboxFailure } from "./errors.ts";

let shared: Sandbox | undefined;

/** The process-wide sandbox the code node uses; its isolates are made lazily and reused. */
export function sharedSandbox(options?: SandboxOptions): Sandbox {
  shared ??= new Sandbox(options);
  return shared;
}

/** Disposes the shared sandbox's isolates (a new one is made on next use). */
export function closeSharedSandbox(): void {
  shared?.close();
  shared = undefined;
}
