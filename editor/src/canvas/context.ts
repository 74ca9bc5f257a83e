/** What the canvas's node components read besides their own data. */
import { createContext, useContext } from "react";
import type { NodeTypeInfo } from "../api/types.ts";
import type { IssueMap } from "../flow/issues.ts";
import type { RunView } from "../run/runState.ts";
import type { Store } from "../lib/store.ts";

/** Node types by name, the live run, and the validation problems. */
export interface CanvasShared {
  types: ReadonlyMap<string, NodeTypeInfo>;
  run: Store<RunView | null>;
  issues: Store<IssueMap>;
}

export const CanvasContext = createContext<CanvasShared | null>(null);

/** The canvas's shared stores (inside the editor page only). */
export function useCanvasShared(): CanvasShared {
  const shared = useContext(CanvasContext);
  if (!shared) throw new Error("useCanvasShared outside the editor page");
  return shared;
}
