/**
 * The sandbox process: runs calls in its own pool of isolates (sandbox.ts) for the Keel process
 * that started it, over the IPC channel. It holds no secret of the parent (its environment is
 * nearly empty) and exits when the parent goes away.
 */
import { KeelError, toKeelError } from "../errors.ts";
import { Sandbox, type SandboxOptions } from "./sandbox.ts";
import type { ChildMessage, ParentMessage } from "./protocol.ts";

const options = JSON.parse(process.env.KEEL_SANDBOX_OPTIONS || "{}") as SandboxOptions;
const sandbox = new Sandbox({ ...options, warn: (m) => send({ type: "warn", message: m }) });
const calls = new Map<number, AbortController>();

function send(message: ChildMessage): void {
  if (process.connected) process.send!(message);
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "cancel") {
    calls.get(message.id)?.abort(new KeelError("CANCELED", message.reason));
    return;
  }
  if (message.type !== "run") return;
  const { id, call } = message;
  const controller = new AbortController();
  calls.set(id, controller);
  sandbox
    .runText({ ...call, input: undefined, params: undefined, signal: controller.signal, onLog: (line) => send({ type: "log", id, line }) })
    .then(
      (text) => send({ type: "ok", id, text }),
      (e) => send({ type: "error", id, error: toKeelError(e).toJSON() }),
    )
    .finally(() => {
      calls.delete(id);
      const stuck = sandbox.stats().stuck;
      if (stuck > 0) send({ type: "stuck", count: stuck });
    });
});

process.on("disconnect", () => process.exit(0));
send({ type: "ready", pid: process.pid });
