/** Messages between a Keel process and its sandbox process (JSON-safe, over the IPC channel). */
import type { SerializedError } from "../errors.ts";

/** One call as sent to the sandbox process: the code, and its data as JSON text ({ input, params, credentials }). */
export interface CallMessage {
  code: string;
  dataText: string;
  timeoutMs: number;
  memoryMb: number;
}

/** Parent → sandbox process. */
export type ParentMessage = { type: "run"; id: number; call: CallMessage } | { type: "cancel"; id: number; reason: string };

/** Sandbox process → parent. */
export type ChildMessage =
  | { type: "ready"; pid: number }
  | { type: "log"; id: number; line: string }
  | { type: "ok"; id: number; text: string }
  | { type: "error"; id: number; error: SerializedError }
  | { type: "stuck"; count: number }
  | { type: "warn"; message: string };
