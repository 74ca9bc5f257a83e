/** Flows used by the approval tests: a draft, an approval, and what happens on each side. */
import { makeFlow } from "../support/keel.ts";

/** Options for approvalFlow. */
export interface ApprovalFlowOptions {
  autoApproveAbove?: number;
  timeout?: string;
  onTimeout?: "approve" | "reject" | "escalate";
  id?: string;
}

/**
 * draft → approve → write (when approved: writes the approved proposal to the outbox)
 *                 → note  (when rejected: records the reason)
 */
export function approvalFlow(options: ApprovalFlowOptions = {}) {
  return makeFlow(
    [
      { id: "draft", type: "transform", params: { set: { to: "{{ input.client }}@example.com", subject: "Proposal for {{ input.client }}", amount: "{{ input.amount }}" } } },
      {
        id: "approve",
        type: "human.approve",
        params: {
          title: "Send the proposal to {{ input.client }}?",
          proposal: "{{ nodes.draft.output }}",
          evidence: [{ label: "client", text: "{{ input.client }} asked for a quote", source: "memory:client-notes" }, "earlier proposals were 10% lower"],
          confidence: "{{ input.confidence }}",
          ...(options.autoApproveAbove === undefined ? {} : { autoApproveAbove: options.autoApproveAbove }),
          ...(options.timeout ? { timeout: options.timeout } : {}),
          ...(options.onTimeout ? { onTimeout: options.onTimeout } : {}),
        },
      },
      { id: "write", type: "action.file", params: { path: "proposals/{{ input.client }}.json", content: "{{ nodes.approve.output.proposal }}" } },
      { id: "note", type: "transform", params: { set: { rejected: true, reason: "{{ nodes.approve.output.reason }}" } } },
    ],
    [
      ["draft", "approve"],
      ["approve", "write", "approved"],
      ["approve", "note", "rejected"],
    ],
    { id: options.id ?? "proposal" },
  );
}

/** draft → approve → send (action.email with the approved proposal, when approved) */
export function emailFlow(options: { credential?: string; autoApproveAbove?: number } = {}) {
  return makeFlow(
    [
      {
        id: "draft",
        type: "transform",
        params: { set: { to: "{{ input.email }}", subject: "Proposal for {{ input.client }}", text: "Dear {{ input.client }},\nour price is {{ input.amount }} EUR.\n" } },
      },
      {
        id: "approve",
        type: "human.approve",
        params: {
          title: "Email the proposal to {{ input.client }}?",
          proposal: "{{ nodes.draft.output }}",
          confidence: "{{ input.confidence }}",
          ...(options.autoApproveAbove === undefined ? {} : { autoApproveAbove: options.autoApproveAbove }),
        },
      },
      {
        id: "send",
        type: "action.email",
        params: {
          credential: options.credential ?? "smtp-test",
          from: "Keel <keel@example.com>",
          to: "{{ nodes.approve.output.proposal.to }}",
          subject: "{{ nodes.approve.output.proposal.subject }}",
          text: "{{ nodes.approve.output.proposal.text }}",
        },
      },
    ],
    [
      ["draft", "approve"],
      ["approve", "send", "approved"],
    ],
    { id: "email-proposal" },
  );
}
