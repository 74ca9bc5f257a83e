/**
 * Flow editing over `/api/live`: an editor joins a flow (`flow.join`) and receives its yjs
 * document (`flow.state`); it sends its changes (`flow.update`) and receives everyone else's,
 * and hears when the flow is saved (`flow.saved`). Updates travel as base64.
 */
import type { FlowInput } from "../../runtime/schema/flow.ts";
import type { Keel } from "../keel.ts";

/** Most flows being edited on one socket. */
const MAX_EDITING = 20;
/** Largest update accepted, decoded (a big paste fits). */
const MAX_UPDATE_BYTES = 4 * 1024 * 1024;

/** What flow editing needs of a socket. */
export interface EditingClient {
  editing: Set<string>;
  send(msg: Record<string, unknown>): void;
  fail(message: string): void;
}

/** Handles `flow.*` messages for the sockets in `clients`; `stop` unhooks it. */
export function flowEditing(keel: Keel, clients: Iterable<EditingClient>): { handle(client: EditingClient, msg: Record<string, unknown>): boolean; stop(): void } {
  const offUpdate = keel.liveFlows.onUpdate((flowId, update, origin) => {
    const msg = { type: "flow.update", flowId, update: Buffer.from(update).toString("base64") };
    // everyone editing the flow but the editor the change came from
    for (const c of clients) if (c !== origin && c.editing.has(flowId)) c.send(msg);
  });
  const offSaved = keel.liveFlows.onSaved((flow: FlowInput) => {
    for (const c of clients) if (c.editing.has(flow.id)) c.send({ type: "flow.saved", flowId: flow.id, flow });
  });

  const handle = (client: EditingClient, msg: Record<string, unknown>): boolean => {
    if (typeof msg.type !== "string" || !msg.type.startsWith("flow.")) return false;
    const flowId = msg.flowId;
    if (typeof flowId !== "string" || flowId.length === 0 || flowId.length > 200) {
      client.fail(`${msg.type} needs a flowId (a string)`);
      return true;
    }
    switch (msg.type) {
      case "flow.join":
        if (!client.editing.has(flowId) && client.editing.size >= MAX_EDITING) {
          client.fail(`at most ${MAX_EDITING} flows edited per socket`);
          return true;
        }
        client.editing.add(flowId); // before the state: an update meanwhile is merged by yjs in any order
        keel.liveFlows.state(flowId).then(
          (state) => client.send({ type: "flow.state", flowId, update: Buffer.from(state).toString("base64") }),
          (e) => {
            client.editing.delete(flowId);
            client.fail((e as Error).message);
          },
        );
        return true;
      case "flow.leave":
        client.editing.delete(flowId);
        return true;
      case "flow.update": {
        if (!client.editing.has(flowId)) {
          client.fail(`join flow "${flowId}" before sending updates to it`);
          return true;
        }
        if (typeof msg.update !== "string" || msg.update.length > (MAX_UPDATE_BYTES * 4) / 3 + 4) {
          client.fail(`flow.update needs an update (base64, at most ${MAX_UPDATE_BYTES} bytes)`);
          return true;
        }
        keel.liveFlows.apply(flowId, new Uint8Array(Buffer.from(msg.update, "base64")), client).catch((e) => client.fail((e as Error).message));
        return true;
      }
      default:
        client.fail(`unknown message type ${JSON.stringify(msg.type).slice(0, 60)}`);
        return true;
    }
  };
  return {
    handle,
    stop() {
      offUpdate();
      offSaved();
    },
  };
}
