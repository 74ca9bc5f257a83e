/**
 * Webhooks: `POST /hooks/:flowId/:hookName` starts a run of a saved flow whose trigger.webhook
 * node has that hook name. Not under /api and its bearer token: each hook has its own secret
 * (a header carrying it, or an HMAC-SHA256 signature of the body). A delivery id seen before
 * answers with the run it started and starts nothing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import express, { type Request, type Router } from "express";
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { newRunId } from "../../../runtime/ids.ts";
import type { Flow } from "../../../runtime/schema/flow.ts";
import { authHeaderOf, HOOK_NAME, webhookParams, type WebhookParams } from "../../../nodes/trigger-webhook.ts";
import { FileDeliveryStore } from "../../../storage/hooks/delivery-store.ts";
import path from "node:path";
import type { ServerContext } from "../context.ts";
import { refuseDeepJson } from "../request.ts";

const MAX_DELIVERY_ID = 200;

/** The `/hooks` router (mounted by app.ts before the editor). */
export function hookRoutes(ctx: ServerContext): Router {
  const router = express.Router();
  const deliveries = new FileDeliveryStore(path.join(ctx.keel.dataDir, "hooks", "deliveries"));
  const inflight = new Map<string, Promise<{ runId: string; duplicate: boolean }>>();

  router.post(
    "/:flowId/:hookName",
    express.raw({ type: () => true, limit: ctx.config.maxBodyBytes }),
    async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      const { flowId, hookName } = req.params;
      const found = HOOK_NAME.test(hookName) ? await hookOf(ctx, flowId, hookName) : undefined;
      if (!found) throw new KeelError("NOT_FOUND", `no webhook "${hookName.slice(0, 64)}" on flow "${flowId.slice(0, 64)}"`);
      const { flow, hook } = found;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      checkAuth(ctx, flow, hook, req, body);

      const input = inputOf(req, body);
      const deliveryId = req.get(hook.deliveryHeader);
      if (deliveryId !== undefined && (deliveryId.length === 0 || deliveryId.length > MAX_DELIVERY_ID)) {
        throw new ValidationError(`${hook.deliveryHeader} must be 1-${MAX_DELIVERY_ID} characters`);
      }
      if (deliveryId === undefined) {
        const { runId } = await ctx.keel.coordinator.start(flow, input);
        return void res.status(202).json({ runId });
      }
      const key = `${flow.id}/${hook.hook}/${deliveryId}`;
      let work = inflight.get(key);
      if (!work) {
        work = (async () => {
          const seen = await deliveries.get(key);
          if (seen && (await runExists(ctx, seen.runId))) return { runId: seen.runId, duplicate: true };
          // The delivery is recorded, durably, under the id its run will have before the run starts:
          // a crash in between leaves a record whose run does not exist, and the sender's retry
          // (it had no answer) starts that run. Recorded after, a crash would start a second one.
          const runId = seen?.runId ?? newRunId();
          if (!seen) await deliveries.put(key, { runId, at: new Date().toISOString() });
          await ctx.keel.coordinator.start(flow, input, { runId });
          return { runId, duplicate: false };
        })().finally(() => inflight.delete(key));
        inflight.set(key, work);
        const r = await work;
        return void res.status(r.duplicate ? 200 : 202).json(r.duplicate ? r : { runId: r.runId });
      }
      const r = await work; // the same delivery, at the same moment
      res.status(200).json({ runId: r.runId, duplicate: true });
    },
  );
  return router;
}

/** True once the run has its first event (a crash can leave a line cut short, which is none). */
async function runExists(ctx: ServerContext, runId: string): Promise<boolean> {
  try {
    return (await ctx.keel.coordinator.events(runId)).length > 0;
  } catch (e) {
    if ((e as KeelError).code === "NOT_FOUND") return false;
    throw e;
  }
}

async function hookOf(ctx: ServerContext, flowId: string, hookName: string): Promise<{ flow: Flow; hook: WebhookParams } | undefined> {
  const flow = await ctx.keel.flows.get(flowId).catch(() => undefined);
  if (!flow) return undefined;
  for (const node of flow.nodes) {
    if (node.type !== "trigger.webhook") continue;
    const hook = webhookParams(node.params);
    if (hook?.hook === hookName) return { flow, hook };
  }
  return undefined;
}

function checkAuth(ctx: ServerContext, flow: Flow, hook: WebhookParams, req: Request, body: Buffer): void {
  const presented = req.get(authHeaderOf(hook));
  if (!presented) throw new KeelError("UNAUTHORIZED", `this webhook needs the ${authHeaderOf(hook)} header`);
  let secret: string | undefined;
  try {
    secret = ctx.keel.vault.getFor(hook.credential, flow.id).fields.secret;
  } catch (e) {
    // the operator's setup is wrong (no credential, not allowed): say so in the log, not to the caller
    throw new KeelError("INTERNAL", `webhook ${flow.id}/${hook.hook}: its credential "${hook.credential}" cannot be used: ${(e as Error).message}`);
  }
  if (!secret) throw new KeelError("INTERNAL", `webhook ${flow.id}/${hook.hook}: credential "${hook.credential}" has no field "secret"`);
  const expected = hook.auth === "hmac" ? createHmac("sha256", secret).update(body).digest("hex") : secret;
  const given = hook.auth === "hmac" ? presented.trim().replace(/^sha256=/i, "").toLowerCase() : presented;
  if (!sameText(given, expected)) throw new KeelError("UNAUTHORIZED", hook.auth === "hmac" ? "the signature does not match the body" : "the webhook secret is not valid");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The run input: the JSON body, or the body as text; `{}` when empty. */
function inputOf(req: Request, body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString("utf8");
  if (req.is("application/json") || req.is("+json")) {
    refuseDeepJson(req, undefined, body);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ValidationError(`the body is not valid JSON: ${(e as Error).message}`);
    }
  }
  return text;
}
