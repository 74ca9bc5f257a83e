/**
 * The flow the crash tests kill and resume: an order that is charged, booked, maybe reviewed,
 * shipped and confirmed. Transforms, a branch, a merge and five `action.http` nodes whose URLs
 * and bodies are built from upstream outputs, so a resumed run that re-ran a finished node, or
 * lost an output, would send a different request (the server answers 422) or end differently.
 */
import { makeFlow } from "../support/keel.ts";

/** Inputs the scenarios pick from: one takes the review branch, one the fast lane. */
export const ORDER_INPUTS = [
  { order: "A-1001", amount: 250, customer: "acme" },
  { order: "B-2002", amount: 40, customer: "brightside" },
] as const;

/** The order flow calling the recorder at `url`. */
export function orderFlow(url: string) {
  return makeFlow(
    [
      { id: "start", type: "trigger.manual" },
      {
        id: "quote",
        type: "transform",
        params: { set: { order: "{{ input.order }}", cents: "{{ input.amount * 100 }}", customer: "{{ $uppercase(input.customer) }}" } },
      },
      {
        id: "charge",
        type: "action.http",
        params: {
          url: `${url}/charges/{{ nodes.quote.output.order }}`,
          body: { amount: "{{ nodes.quote.output.cents }}", customer: "{{ nodes.quote.output.customer }}" },
        },
      },
      {
        id: "ledger",
        type: "action.http",
        params: { url: `${url}/ledger`, body: { charge: "{{ nodes.charge.output.body.id }}", cents: "{{ nodes.charge.output.body.amount }}" } },
      },
      { id: "check", type: "logic.branch", params: { condition: "{{ nodes.charge.output.body.amount >= 10000 }}" } },
      {
        id: "review",
        type: "action.http",
        params: { url: `${url}/reviews`, body: { charge: "{{ nodes.charge.output.body.id }}", reason: "large order" } },
      },
      { id: "fasttrack", type: "transform", params: { set: { lane: "fast", charge: "{{ nodes.charge.output.body.id }}" } } },
      { id: "join", type: "logic.merge" },
      {
        id: "ship",
        type: "action.http",
        params: {
          url: `${url}/shipments/{{ nodes.charge.output.body.id }}`,
          body: {
            lane: "{{ $exists(nodes.fasttrack.output) ? 'fast' : 'reviewed:' & nodes.review.output.body.id }}",
            ledger: "{{ nodes.ledger.output.body.id }}",
          },
        },
      },
      {
        id: "receipt",
        type: "transform",
        params: {
          set: {
            text: "Order {{ nodes.quote.output.order }} for {{ nodes.quote.output.customer }}: charge {{ nodes.charge.output.body.id }}, shipment {{ nodes.ship.output.body.id }}",
            joined: "{{ $keys(nodes.join.output.inputs) }}",
          },
        },
      },
      {
        id: "notify",
        type: "action.http",
        params: { url: `${url}/emails`, body: { subject: "{{ nodes.receipt.output.text }}", ledger: "{{ nodes.ledger.output.body.id }}" } },
      },
    ],
    [
      ["start", "quote"],
      ["quote", "charge"],
      ["charge", "ledger"],
      ["charge", "check"],
      ["check", "review", "true"],
      ["check", "fasttrack", "false"],
      ["review", "join"],
      ["fasttrack", "join"],
      ["join", "ship"],
      ["ledger", "ship"],
      ["ship", "receipt"],
      ["receipt", "notify"],
    ],
    {
      id: "crash-order",
      name: "Charge, book, ship and confirm an order",
      input: { type: "object", properties: { order: { type: "string" }, amount: { type: "number" }, customer: { type: "string" } }, required: ["order", "amount"] },
    },
  );
}

/** The action nodes of the flow and the path each calls under. */
export const ACTION_PATHS: Record<string, string> = {
  charge: "/charges/",
  ledger: "/ledger",
  review: "/reviews",
  ship: "/shipments/",
  notify: "/emails",
};
