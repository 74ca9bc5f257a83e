/**
 * The approvals inbox: every pending approval across flows, one at a time, decided with a key:
 * A approve, E edit then approve, R reject, J/K next/previous.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, errorMessage } from "../api/client.ts";
import type { Approval } from "../api/types.ts";
import { ApprovalDetail, type DecisionMode } from "../inbox/ApprovalDetail.tsx";
import { setPendingCount } from "../inbox/pendingCount.ts";
import { isPrimary, isTextEntry } from "../lib/keys.ts";
import { toast } from "../ui/toasts.tsx";
import { relativeTime } from "../ui/time.ts";
import { TopBar } from "../ui/TopBar.tsx";

const REFRESH_MS = 5000;

export function InboxPage({ initial }: { initial?: string }) {
  const [items, setItems] = useState<Approval[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selectedId, setSelectedId] = useState<string | undefined>(initial);
  const [mode, setMode] = useState<DecisionMode>("view");
  const [edits, setEdits] = useState<Record<string, unknown>>({});
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const { items: list } = await api<{ items: Approval[] }>("GET", "approvals?status=pending");
      setItems(list);
      setPendingCount(list.length);
      setError(undefined);
      setSelectedId((id) => (id && list.some((a) => a.id === id) ? id : list[0]?.id));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    document.title = "Inbox · Keel";
    void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const list = items ?? [];
  const index = list.findIndex((a) => a.id === selectedId);
  const selected = index >= 0 ? list[index] : undefined;

  const select = useCallback((id: string | undefined) => {
    setSelectedId(id);
    setMode("view");
    setEdits({});
    setReason("");
  }, []);

  const decide = useCallback(
    async (decision: "approve" | "reject") => {
      if (!selected || busy) return;
      setBusy(true);
      const body = decision === "approve" ? (Object.keys(edits).length ? { decision, edits } : { decision }) : { decision, ...(reason.trim() ? { reason: reason.trim() } : {}) };
      try {
        await api("POST", `approvals/${encodeURIComponent(selected.id)}`, body);
        toast(`${decision === "approve" ? "Approved" : "Rejected"}: ${selected.title}. The run carries on.`, "success");
        const rest = list.filter((a) => a.id !== selected.id);
        setItems(rest);
        setPendingCount(rest.length);
        select(rest[Math.min(index, rest.length - 1)]?.id);
      } catch (e) {
        if (e instanceof ApiError && e.code === "CONFLICT") {
          toast(`Already closed: ${e.message}`, "error");
          select(undefined);
          void refresh();
        } else toast(`Not recorded: ${errorMessage(e)}`, "error");
      } finally {
        setBusy(false);
      }
    },
    [selected, busy, edits, reason, list, index, select, refresh],
  );

  // the keys, kept in a ref so the listener is added once
  const keys = useRef<(e: KeyboardEvent) => void>(undefined);
  keys.current = (e: KeyboardEvent) => {
    if (e.key === "Escape" && mode !== "view") {
      e.preventDefault();
      return setMode("view");
    }
    if (isPrimary(e) && e.key === "Enter" && mode !== "view") {
      e.preventDefault();
      return void decide(mode === "edit" ? "approve" : "reject");
    }
    if (isTextEntry(e.target) || e.ctrlKey || e.metaKey || e.altKey || mode !== "view" || !selected) return;
    const key = e.key.toLowerCase();
    if (key === "a") {
      e.preventDefault();
      void decide("approve");
    } else if (key === "r") {
      e.preventDefault();
      setMode("reject");
    } else if (key === "e") {
      e.preventDefault();
      setMode("edit");
    } else if (key === "j" || key === "k") {
      e.preventDefault();
      const next = list[Math.max(0, Math.min(list.length - 1, index + (key === "j" ? 1 : -1)))];
      if (next) select(next.id);
    }
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => keys.current?.(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  return (
    <div className="page inbox-page">
      <TopBar>
        <span className="muted small">{items ? `${list.length} waiting for you` : ""}</span>
      </TopBar>
      <div className="inbox">
        <nav className="inbox-list" aria-label="Pending approvals">
          <h2>Pending approvals</h2>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          {items && list.length === 0 && <p className="muted">Nothing to decide. Runs that ask for approval show up here.</p>}
          <ul>
            {list.map((a) => (
              <li key={a.id}>
                <button type="button" className="inbox-item" aria-current={a.id === selectedId || undefined} data-approval-id={a.id} onClick={() => select(a.id)}>
                  <span className="inbox-item-title">{a.title}</span>
                  <span className="inbox-item-meta">
                    {a.flowName || a.flow} · due {relativeTime(a.due)}
                    {a.confidence !== null && <> · {Math.round(a.confidence * 100)}%</>}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <main className="inbox-detail">
          {selected ? (
            <ApprovalDetail
              key={selected.id}
              approval={selected}
              mode={mode}
              edits={edits}
              reason={reason}
              busy={busy}
              onMode={setMode}
              onEdits={setEdits}
              onReason={setReason}
              onApprove={() => void decide("approve")}
              onReject={() => void decide("reject")}
            />
          ) : (
            items && (
              <div className="empty-state">
                <h1>Inbox zero</h1>
                <p>When a flow asks for approval, its proposal and evidence appear here.</p>
              </div>
            )
          )}
        </main>
      </div>
    </div>
  );
}
