import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Hook names as they appear in `/hooks/:flowId/:hookName`. */
export const HOOK_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const params = z
  .object({
    hook: z.string().regex(HOOK_NAME, "must be 1-64 letters, digits, _ or -").describe("the name in POST /hooks/<flow id>/<hook>"),
    auth: z.enum(["secret", "hmac"]).default("secret").describe("secret: the header carries the secret itself; hmac: it carries sha256=<HMAC-SHA256 of the body, hex>"),
    credential: z.string().min(1, "is required").describe("a credential (kind webhook) whose field `secret` is the shared secret"),
    header: z.string().regex(/^[A-Za-z0-9-]{1,100}$/).optional().describe("the header with the secret or signature (default x-keel-secret, or x-keel-signature for hmac)"),
    deliveryHeader: z.string().regex(/^[A-Za-z0-9-]{1,100}$/).default("x-keel-delivery").describe("the header with the delivery id; a replayed id starts no second run"),
  })
  .strict();

/** The webhook settings of a flow's trigger, as the hooks route reads them. */
export type WebhookParams = z.output<typeof params>;

/** Reads a trigger.webhook node's params (defaults applied); undefined when they do not parse. */
export function webhookParams(raw: unknown): WebhookParams | undefined {
  const r = params.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** The header a webhook's secret or signature comes in. */
export function authHeaderOf(p: WebhookParams): string {
  return (p.header ?? (p.auth === "hmac" ? "x-keel-signature" : "x-keel-secret")).toLowerCase();
}

/** Starts a flow when an authenticated POST arrives at /hooks/<flow id>/<hook>; its output is the request body. */
export const triggerWebhook = defineNode({
  type: "trigger.webhook",
  version: 1,
  title: "Webhook",
  category: "trigger",
  description:
    "Starts the flow on POST /hooks/<flow id>/<hook> (outside /api: no bearer token, the hook's own secret instead). The JSON body (or the text) is the run input. Authenticated by a secret header or an HMAC-SHA256 signature of the body; a repeated delivery id starts one run only. The flow must be saved.",
  kind: "pure",
  params,
  run: (ctx) => ctx.run.input,
});
