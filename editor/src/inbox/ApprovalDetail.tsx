/** One approval laid out for a decision in seconds: proposal first, then confidence, cost and due, then the evidence. */
import type { Approval, EvidenceItem } from "../api/types.ts";
import { paths } from "../lib/router.ts";
import { Link } from "../ui/Link.tsx";
import { formatTime, relativeTime } from "../ui/time.ts";
import { ProposalEditor, ProposalView } from "./Proposal.tsx";

/** What the operator is doing with the approval. */
export type DecisionMode = "view" | "edit" | "reject";

/** Props of the approval detail. */
export interface ApprovalDetailProps {
  approval: Approval;
  mode: DecisionMode;
  edits: Record<string, unknown>;
  reason: string;
  busy: boolean;
  onMode: (mode: DecisionMode) => void;
  onEdits: (edits: Record<string, unknown>) => void;
  onReason: (reason: string) => void;
  onApprove: () => void;
  onReject: () => void;
}

export function ApprovalDetail(p: ApprovalDetailProps) {
  const a = p.approval;
  const editCount = Object.keys(p.edits).length;
  return (
    <article className="approval" aria-labelledby="approval-title" data-approval-id={a.id}>
      <header className="approval-head">
        <h1 id="approval-title">{a.title}</h1>
        <p className="muted small">
          <Link to={paths.flow(a.flow)}>{a.flowName || a.flow}</Link> · node <code>{a.node}</code> · run <Link to={paths.run(a.run)}>{a.run}</Link>
        </p>
      </header>

      <section className="approval-proposal" aria-labelledby="proposal-title">
        <h2 id="proposal-title">{p.mode === "edit" ? "Edit the proposal, then approve" : "Proposal"}</h2>
        {p.mode === "edit" ? <ProposalEditor proposal={a.proposal} edits={p.edits} onEdits={p.onEdits} /> : <ProposalView proposal={a.proposal} />}
      </section>

      <section className="approval-facts" aria-label="Confidence, cost and deadline">
        <Confidence value={a.confidence} threshold={a.autoApproveAbove} />
        <div className="fact">
          <span className="fact-label">Cost so far</span>
          <span className="fact-value">
            ${a.cost.usd.toFixed(a.cost.usd < 0.01 ? 4 : 2)} · {a.cost.tokens.toLocaleString()} tokens
          </span>
        </div>
        <div className="fact">
          <span className="fact-label">Due</span>
          <span className="fact-value" title={formatTime(a.due)}>
            {relativeTime(a.due)} · then {a.onTimeout === "escalate" ? `escalates to ${a.escalateTo ?? "?"}` : `${a.onTimeout}s by itself`}
          </span>
        </div>
      </section>

      <section className="approval-evidence" aria-labelledby="evidence-title">
        <h2 id="evidence-title">Evidence ({a.evidence.length})</h2>
        {a.evidence.length === 0 && <p className="muted">The flow gave no evidence for this proposal.</p>}
        <ol className="evidence-list">
          {a.evidence.map((item, i) => (
            <Evidence key={i} item={item} />
          ))}
        </ol>
      </section>

      <footer className="decide-bar" aria-label="Decision">
        {p.mode === "reject" ? (
          <form
            className="reject-form"
            onSubmit={(e) => {
              e.preventDefault();
              p.onReject();
            }}
          >
            <label htmlFor="reject-reason" className="visually-hidden">
              Reason for rejecting
            </label>
            <input id="reject-reason" type="text" autoFocus placeholder="Why reject? (optional, Enter to confirm)" value={p.reason} maxLength={2000} onChange={(e) => p.onReason(e.target.value)} />
            <button type="submit" className="button danger" disabled={p.busy}>
              Reject
            </button>
            <button type="button" className="button" onClick={() => p.onMode("view")}>
              Cancel <kbd>Esc</kbd>
            </button>
          </form>
        ) : p.mode === "edit" ? (
          <>
            <button type="button" className="button primary" disabled={p.busy} onClick={p.onApprove}>
              {editCount ? `Approve with ${editCount} edit${editCount > 1 ? "s" : ""}` : "Approve unchanged"} <kbd>Ctrl+Enter</kbd>
            </button>
            <button type="button" className="button" onClick={() => p.onMode("view")}>
              Cancel <kbd>Esc</kbd>
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button primary" disabled={p.busy} onClick={p.onApprove}>
              Approve <kbd>A</kbd>
            </button>
            <button type="button" className="button" disabled={p.busy} onClick={() => p.onMode("edit")}>
              Edit <kbd>E</kbd>
            </button>
            <button type="button" className="button" disabled={p.busy} onClick={() => p.onMode("reject")}>
              Reject <kbd>R</kbd>
            </button>
            <span className="muted small decide-hint">
              <kbd>J</kbd> / <kbd>K</kbd> next, previous
            </span>
          </>
        )}
      </footer>
    </article>
  );
}

function Confidence({ value, threshold }: { value: number | null; threshold: number | null }) {
  if (value === null) {
    return (
      <div className="fact">
        <span className="fact-label">Confidence</span>
        <span className="fact-value muted">not given</span>
      </div>
    );
  }
  const pct = Math.round(value * 100);
  const tone = value >= 0.8 ? "high" : value >= 0.5 ? "mid" : "low";
  return (
    <div className="fact">
      <span className="fact-label">Confidence</span>
      <span className="fact-value">
        <span className={`meter meter-${tone}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Confidence">
          <span className="meter-fill" style={{ width: `${pct}%` }} />
          {threshold !== null && <span className="meter-mark" style={{ left: `${Math.round(threshold * 100)}%` }} title={`auto-approves at ${Math.round(threshold * 100)}%`} />}
        </span>
        <strong>{pct}%</strong>
        {threshold !== null && <span className="muted small"> (auto at {Math.round(threshold * 100)}%)</span>}
      </span>
    </div>
  );
}

function Evidence({ item }: { item: EvidenceItem }) {
  const url = item.source && /^https?:\/\//.test(item.source) ? item.source : undefined;
  return (
    <li className="evidence">
      {item.label && <h3 className="evidence-label">{item.label}</h3>}
      {item.text && <blockquote className="evidence-text">{item.text}</blockquote>}
      {item.value !== undefined && <pre className="json-view">{JSON.stringify(item.value, null, 2)}</pre>}
      {item.source && (
        <p className="evidence-source small">
          Source:{" "}
          {url ? (
            <a href={url} target="_blank" rel="noreferrer noopener">
              {item.source}
            </a>
          ) : (
            <code>{item.source}</code>
          )}
        </p>
      )}
    </li>
  );
}
