/** The flow of the approvals benchmark: draft → approve → after (on approved). */
import { makeFlow } from "../support/keel.ts";

export const approvalBenchFlow = makeFlow(
  [
    { id: "draft", type: "transform", params: { set: { to: "client{{ input.i }}@example.com", subject: "Proposal {{ input.i }}", amount: "{{ input.i * 10 }}" } } },
    { id: "approve", type: "human.approve", params: { title: "Send proposal {{ input.i }}?", proposal: "{{ nodes.draft.output }}", evidence: ["a snippet of context", { label: "source", text: "memory item", source: "mem:1" }], confidence: 0.5 } },
    { id: "after", type: "transform", params: { set: { sent: "{{ nodes.approve.output.proposal.subject }}" } } },
  ],
  [
    ["draft", "approve"],
    ["approve", "after", "approved"],
  ],
  { id: "bench-approval" },
);
