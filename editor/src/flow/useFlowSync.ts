/**
 * Keeps the editor's document in step with the flow's shared yjs document (DESIGN 9): this
 * editor's changes go out as yjs updates, other editors' changes come in as a "remote" action
 * (the local undo history is rebased on them), and a save anywhere marks the flow saved here.
 */
import { useEffect, useRef, type Dispatch, type RefObject } from "react";
import * as Y from "yjs";
import { live } from "../api/live.ts";
import type { NodeTypeInfo } from "../api/types.ts";
import { docToFlow, flowToDoc, signatureOf, type Doc } from "./convert.ts";
import type { EditorAction } from "./editorState.ts";
import { readFlow, writeFlow } from "./ydoc.ts";

const LOCAL = "local";

export function useFlowSync(options: {
  flowId: string;
  /** False for a flow not saved yet: there is no shared document to join. */
  enabled: boolean;
  /** Bumped by every change to the saved form of the document. */
  version: number;
  docRef: RefObject<Doc>;
  types: ReadonlyMap<string, NodeTypeInfo>;
  dispatch: Dispatch<EditorAction>;
}): void {
  const { flowId, enabled, version, docRef, types, dispatch } = options;
  const shared = useRef<{ doc: Y.Doc; ready: boolean } | undefined>(undefined);

  useEffect(() => {
    if (!enabled) return;
    const doc = new Y.Doc();
    const state = { doc, ready: false };
    shared.current = state;
    const incoming = (update: Uint8Array) => {
      Y.applyUpdate(doc, update, "remote");
      state.ready = true;
      dispatch({ type: "remote", doc: flowToDoc(readFlow(doc), types) });
    };
    const channel = live.joinFlow(flowId, {
      state: (update) => {
        incoming(update);
        // what the server lacks: edits made while the socket was down (after a reconnect) ...
        const missing = Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(update));
        if (Y.parseUpdateMeta(missing).to.size > 0) channel.send(missing);
        writeFlow(doc, docToFlow(docRef.current), LOCAL); // ... and before the document first arrived
      },
      update: incoming,
      saved: (flow) => dispatch({ type: "saved", signature: signatureOf(flowToDoc(flow, types)) }),
    });
    doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === LOCAL) channel.send(update);
    });
    return () => {
      channel.leave();
      doc.destroy();
      if (shared.current === state) shared.current = undefined;
    };
  }, [enabled, flowId, types, dispatch, docRef]);

  useEffect(() => {
    const s = shared.current;
    if (s?.ready) writeFlow(s.doc, docToFlow(docRef.current), LOCAL);
  }, [version, docRef]);
}
