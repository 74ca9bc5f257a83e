import { z } from "zod";
import { applyEdits, approvalIdOf, parseDuration, type ApprovalWake, type EvidenceItem } from "../runtime/approvals/types.ts";
import { ValidationError } from "../runtime/errors.ts";
import { defineNode, suspend } from "../runtime/node.ts";

const MAX_EVIDENCE = 50;
const MAX_TEXT = 20_000;

const params = z
  .object({
    title: z.string().min(1, "is required").max(300),
    proposal: z.unknown().describe("what will be done, usually an object such as { to, subject, text }; downstream nodes read the approved one from output.proposal"),
    evidence: z.unknown().optional().describe("what the proposal is based on: a list of { label, text, source } (or strings), or an object of named values"),
    confidence: z.number().min(0).max(1).nullable().optional().describe("0..1, e.g. {{ nodes.classify.output.confidence }}"),
    autoApproveAbove: z.number().min(0).max(1).optional().describe("approve at once when confidence is at or above this"),
    timeout: z
      .string()
      .default("48h")
      .refine((t) => ok(() => parseDuration(t) > 0), { message: 'must be a duration such as "48h", "30m" or "2d"' }),
    onTimeout: z.enum(["approve", "reject", "escalate"]).default("reject"),
    escalateTo: z.string().min(1).optional().describe('the node run when the approval times out with onTimeout "escalate"; connect it with an edge when: "escalated"'),
  })
  .strict()
  .superRefine((p, issues) => {
    if (p.onTimeout === "escalate" && !p.escalateTo) {
      issues.addIssue({ code: "custom", path: ["escalateTo"], message: 'is required when onTimeout is "escalate"' });
    }
  });

/** What a decided approval node outputs; downstream nodes read `proposal` (edits applied). */
export interface ApproveOutput {
  decision: "approved" | "rejected" | "escalated";
  approved: boolean;
  /** auto: confidence at or above the threshold; operator: a person; timeout: the deadline's default. */
  by: "auto" | "operator" | "timeout";
  /** The proposal as approved: the operator's edits applied. */
  proposal: unknown;
  /** The proposal before the operator's edits (only when edited). */
  original?: unknown;
  edits?: Record<string, unknown>;
  reason?: string;
  confidence: number | null;
  approvalId?: string;
  decidedAt: string;
}

/**
 * Asks the operator to approve a proposal, showing its evidence; approves by itself when the
 * confidence reaches the threshold. The run waits durably (no process resources, survives
 * restarts) until a decision or the timeout.
 */
export const humanApprove = defineNode({
  type: "human.approve",
  version: 1,
  title: "Ask for approval",
  category: "human",
  description:
    "Stops the run until the operator approves, rejects or edits the proposal (inbox, API or `keel approve`). Approves at once when confidence ≥ autoApproveAbove. Edges choose a path with when: \"approved\" / \"rejected\" / \"escalated\"; the approved proposal (edits applied) is output.proposal.",
  kind: "wait",
  params,
  ports: ["approved", "rejected", "escalated"],
  port: (output: ApproveOutput) => output.decision,
  checkInFlow(node, flow) {
    const target = node.params.escalateTo;
    if (typeof target !== "string" || target.includes("{{")) return [];
    if (!flow.nodes.some((n) => n.id === target)) return [`escalateTo "${target}" names no node of this flow`];
    const wired = flow.edges.some((e) => e.from === node.id && e.to === target && e.when === "escalated");
    return wired ? [] : [`escalateTo "${target}" must follow this node on an edge with when: "escalated" (from "${node.id}" to "${target}")`];
  },
  run(ctx): ApproveOutput | ReturnType<typeof suspend> {
    const p = ctx.params;
    const approvalId = approvalIdOf(ctx.run.id, ctx.nodeId);
    const confidence = p.confidence ?? null;
    const now = () => new Date().toISOString();

    if (!ctx.wake) {
      if (p.autoApproveAbove !== undefined && confidence !== null && confidence >= p.autoApproveAbove) {
        const reason = `confidence ${confidence} is at or above autoApproveAbove ${p.autoApproveAbove}`;
        ctx.log(`auto-approved: ${reason}`, { decision: "approved", by: "auto", confidence, autoApproveAbove: p.autoApproveAbove });
        return { decision: "approved", approved: true, by: "auto", proposal: p.proposal, reason, confidence, decidedAt: now() };
      }
      const evidence = normalizeEvidence(p.evidence);
      return suspend({
        kind: "approval",
        until: Date.now() + parseDuration(p.timeout),
        data: {
          approvalId,
          title: p.title,
          proposal: p.proposal,
          evidence,
          confidence,
          autoApproveAbove: p.autoApproveAbove ?? null,
          timeout: p.timeout,
          onTimeout: p.onTimeout,
          ...(p.escalateTo ? { escalateTo: p.escalateTo } : {}),
        },
      });
    }

    if (ctx.wake.timedOut) {
      const reason = `no decision within ${p.timeout}; onTimeout is "${p.onTimeout}"`;
      ctx.log(`approval timed out: ${reason}`, { onTimeout: p.onTimeout });
      const decision = p.onTimeout === "approve" ? "approved" : p.onTimeout === "reject" ? "rejected" : "escalated";
      return { decision, approved: decision === "approved", by: "timeout", proposal: p.proposal, reason, confidence, approvalId, decidedAt: now() };
    }

    const answer = readWake(ctx.wake.value);
    if (answer.decision === "reject") {
      ctx.log("rejected by the operator", { reason: answer.reason });
      return { decision: "rejected", approved: false, by: "operator", proposal: p.proposal, reason: answer.reason, confidence, approvalId, decidedAt: answer.at };
    }
    const edits = answer.edits && Object.keys(answer.edits).length ? answer.edits : undefined;
    const proposal = edits ? applyEdits(p.proposal, edits) : p.proposal;
    ctx.log(edits ? "approved by the operator with edits" : "approved by the operator", edits ? { edits, original: p.proposal, approved: proposal } : undefined);
    return {
      decision: "approved",
      approved: true,
      by: "operator",
      proposal,
      ...(edits ? { original: p.proposal, edits } : {}),
      ...(answer.reason ? { reason: answer.reason } : {}),
      confidence,
      approvalId,
      decidedAt: answer.at,
    };
  },
});

/** The decision a node was woken with; anything else is refused clearly. */
function readWake(value: unknown): ApprovalWake {
  const v = value as ApprovalWake | undefined;
  if (!v || (v.decision !== "approve" && v.decision !== "reject")) {
    throw new ValidationError(`the approval was answered with ${JSON.stringify(value)?.slice(0, 200)}; expected { decision: "approve" | "reject", … }`);
  }
  if (v.edits !== undefined && (v.edits === null || typeof v.edits !== "object" || Array.isArray(v.edits))) {
    throw new ValidationError("the approval's edits must be an object of proposal fields");
  }
  return { ...v, at: typeof v.at === "string" ? v.at : new Date().toISOString() };
}

/** Evidence in one shape for the inbox: a list of { label?, text?, source?, value? }. */
export function normalizeEvidence(raw: unknown): EvidenceItem[] {
  if (raw === undefined || raw === null) return [];
  const list: EvidenceItem[] = [];
  if (Array.isArray(raw)) for (const item of raw) list.push(toItem(item));
  else if (typeof raw === "object") for (const [label, value] of Object.entries(raw)) list.push({ label, ...toItem(value) });
  else list.push(toItem(raw));
  return list.slice(0, MAX_EVIDENCE);
}

function toItem(item: unknown): EvidenceItem {
  if (typeof item === "string") return { text: clip(item) };
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    const known = ["label", "text", "source", "value"].filter((k) => k in o);
    if (known.length) {
      const out: EvidenceItem = {};
      if (typeof o.label === "string") out.label = clip(o.label, 300);
      if (typeof o.text === "string") out.text = clip(o.text);
      if (typeof o.source === "string") out.source = clip(o.source, 1000);
      if (o.value !== undefined) out.value = o.value;
      const rest = Object.fromEntries(Object.entries(o).filter(([k]) => !["label", "text", "source", "value"].includes(k)));
      if (Object.keys(rest).length && out.value === undefined) out.value = rest;
      return out;
    }
  }
  return { value: item };
}

function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function ok(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false;
  }
}
