/** Checks the flow with the server a moment after each change, and puts the problems on nodes and fields. */
import { useEffect } from "react";
import { api } from "../api/client.ts";
import type { FlowInput, FlowIssue } from "../api/types.ts";
import type { Store } from "../lib/store.ts";
import { mapIssues, NO_ISSUES, type IssueMap } from "./issues.ts";

const DELAY_MS = 350;

/** Validates `flow` (identified by its signature) via POST /api/flows/validate. */
export function useValidation(signature: string, flow: () => FlowInput, issues: Store<IssueMap>): void {
  useEffect(() => {
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      const doc = flow();
      try {
        const res = await api<{ ok: boolean; issues?: FlowIssue[] }>("POST", "flows/validate", doc, { signal: abort.signal });
        if (abort.signal.aborted) return;
        issues.set(res.ok ? NO_ISSUES : mapIssues(res.issues ?? [], doc.nodes.map((n) => n.id)));
      } catch {
        // offline or aborted: keep the last known problems; saving reports anything new
      }
    }, DELAY_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
    // the signature changes exactly when the flow does
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature]);
}
