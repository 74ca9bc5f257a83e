/**
 * The approval contract shared by the `human.approve` node, the approval desk (the wait
 * handler), the approval store (storage/approvals) and the API: the record, how its id is
 * derived, how durations and operator edits are read.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors.ts";

/** Where an approval stands. `canceled`: its run ended (canceled, failed) before a decision. */
export type ApprovalStatus = "pending" | "approved" | "rejected" | "escalated" | "canceled";

/** Every approval status, for query validation. */
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "rejected", "escalated", "canceled"];

/** What to do when nobody decides before the deadline. */
export type TimeoutPolicy = "approve" | "reject" | "escalate";

/** One piece of evidence shown beside a proposal: a snippet, a cited memory item, a model output. */
export interface EvidenceItem {
  label?: string;
  text?: string;
  /** Where it comes from: a memory item id, a URL, a node id... */
  source?: string;
  /** Any other JSON value (shown as JSON). */
  value?: unknown;
}

/** How an approval was closed. */
export interface ApprovalDecision {
  /** operator: a person (API, CLI, editor); timeout: the deadline passed; run: the run ended first. */
  by: "operator" | "timeout" | "run";
  /** ISO time of the decision. */
  at: string;
  reason?: string;
  /** Fields of the proposal the operator changed (edit-and-approve). */
  edits?: Record<string, unknown>;
  /** The proposal as approved (edits applied); absent when rejected. */
  proposal?: unknown;
}

/** An approval record: what the inbox shows and what a decision closes. */
export interface Approval {
  id: string;
  run: string;
  node: string;
  flow: string;
  flowName: string;
  title: string;
  /** What will be done when approved. */
  proposal: unknown;
  evidence: EvidenceItem[];
  /** 0..1, or null when the flow gave none. */
  confidence: number | null;
  autoApproveAbove: number | null;
  /** Model spend of the run up to the approval. */
  cost: { usd: number; tokens: number };
  /** ISO times: when it was created, when it times out. */
  created: string;
  due: string;
  onTimeout: TimeoutPolicy;
  escalateTo?: string;
  status: ApprovalStatus;
  decision?: ApprovalDecision;
}

/** An index line for pending approvals: enough to sort and to find the record. */
export interface PendingEntry {
  id: string;
  run: string;
  node: string;
  due: string;
}

/**
 * Durable approval records. Implementations must make `create` and `decide` durable before they
 * resolve, and `decide` a compare-and-set: of two racing decisions exactly one succeeds.
 */
export interface ApprovalStore {
  /** Adds a pending approval; when one with the id exists, returns the stored one unchanged. */
  create(approval: Approval): Promise<Approval>;
  get(id: string): Promise<Approval | undefined>;
  /**
   * Closes a pending approval, resolving once that is durable; CONFLICT when it is not pending
   * (also when another call won the race). `onClaimed` is called synchronously as soon as this
   * call has won, before the write is durable: the desk wakes the run then, since nothing the
   * run does leaves Keel before its own log (which holds the decision) is synced.
   */
  decide(id: string, status: Exclude<ApprovalStatus, "pending">, decision: ApprovalDecision, options?: { onClaimed?: (approval: Approval) => void }): Promise<Approval>;
  /** Sets the outcome regardless of the current status (reconciling with the run log). */
  correct(id: string, status: Exclude<ApprovalStatus, "pending">, decision: ApprovalDecision): Promise<Approval>;
  /** Pending approvals, from the index (cheap). */
  pending(): Promise<PendingEntry[]>;
  /** Records with a status (all when none), newest first; pending ones sorted by due, latest first. */
  list(query?: { status?: ApprovalStatus; limit?: number }): Promise<Approval[]>;
  /** Resolves when every derived write (the pending index) is on disk. */
  flush(): Promise<void>;
}

/** What an operator sends to decide an approval. */
export interface DecisionRequest {
  decision: "approve" | "reject";
  reason?: string;
  edits?: Record<string, unknown>;
}

/** The value a decided approval wakes its node with. */
export interface ApprovalWake {
  approvalId: string;
  decision: "approve" | "reject";
  reason?: string;
  edits?: Record<string, unknown>;
  at: string;
}

const ID = /^a-(\d{8})-\d{6}-([0-9a-f]{10})$/;

/**
 * The approval of a run's node: `a-<run date>-<run time>-<hash>`. Derived, never random, so
 * that creating it again after a restart finds the same record.
 */
export function approvalIdOf(runId: string, nodeId: string): string {
  const stamp = /^r-(\d{8}-\d{6})-/.exec(runId)?.[1] ?? "00000000-000000";
  const hash = createHash("sha256").update(`${runId}/${nodeId}`).digest("hex").slice(0, 10);
  return `a-${stamp}-${hash}`;
}

/** True when the string has the shape of an approval id (also keeps ids out of file paths otherwise). */
export function isApprovalId(id: string): boolean {
  return ID.test(id);
}

/** The parts of an approval id that pick its storage shard: the day and a hash bucket. */
export function approvalShardOf(id: string): { day: string; bucket: string } {
  const m = ID.exec(id);
  if (!m) throw new ValidationError(`not an approval id: ${JSON.stringify(id).slice(0, 80)}`);
  return { day: m[1], bucket: m[2][0] };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Reads a duration like "48h", "30m", "1h30m", "2d", "90s" into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = re.lastIndex;
    while (s[matched] === " ") matched++;
    re.lastIndex = matched;
  }
  if (!s || matched !== s.length) throw new ValidationError(`"${text}" is not a duration (use e.g. "48h", "30m", "1h30m", "2d")`);
  return Math.round(total);
}

/**
 * Applies an operator's edits to a proposal: each key names a top-level field of an object
 * proposal (unknown fields are refused, so a typo is not silently ignored); for a proposal that
 * is not an object, `{ value: … }` replaces it whole.
 */
export function applyEdits(proposal: unknown, edits: Record<string, unknown>): unknown {
  const keys = Object.keys(edits);
  if (keys.length === 0) return proposal;
  if (proposal === null || typeof proposal !== "object" || Array.isArray(proposal)) {
    if (keys.length === 1 && keys[0] === "value") return edits.value;
    throw new ValidationError(`this proposal is not an object: edit it whole with { "value": … } (got ${keys.map((k) => JSON.stringify(k)).join(", ")})`);
  }
  const fields = proposal as Record<string, unknown>;
  const unknown = keys.filter((k) => !Object.hasOwn(fields, k));
  if (unknown.length) {
    throw new ValidationError(
      `edits name field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")} that the proposal does not have (fields: ${Object.keys(fields).join(", ") || "none"})`,
    );
  }
  return { ...fields, ...edits };
}
