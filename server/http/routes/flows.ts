/** Flows: list, create, read, replace, delete, validate. Invalid flows get 400 with the CLI's messages. */
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { checkFlow, FlowValidationError } from "../../../runtime/prepare.ts";
import type { Flow } from "../../../runtime/schema/flow.ts";
import type { RouteModule, ServerContext } from "../context.ts";
import { jsonBody } from "../request.ts";

/** Validates a flow document; throws a 400 naming every problem. */
function validFlow(ctx: ServerContext, doc: unknown): Flow {
  const check = checkFlow(doc, ctx.keel.registry);
  if (!check.ok) throw new FlowValidationError(check.issues);
  return check.prepared.flow;
}

/** Saved flows one at a time: two requests for the same flow id never interleave. */
function serialized() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(id: string, body: () => Promise<T>): Promise<T> => {
    const before = tails.get(id) ?? Promise.resolve();
    const mine = before.then(body, body);
    const tail = mine.catch(() => undefined);
    tails.set(id, tail);
    try {
      return await mine;
    } finally {
      if (tails.get(id) === tail) tails.delete(id);
    }
  };
}

export const flowRoutes: RouteModule = (api, ctx) => {
  const flows = ctx.keel.flows;
  const one = serialized();

  api.get("/flows", async (_req, res) => {
    res.json({ items: await flows.list() });
  });

  api.post("/flows/validate", (req, res) => {
    const check = checkFlow(jsonBody(req), ctx.keel.registry);
    res.json(check.ok ? { ok: true } : { ok: false, issues: check.issues });
  });

  api.post("/flows", async (req, res) => {
    const flow = validFlow(ctx, jsonBody(req));
    await one(flow.id, async () => {
      if (await flows.get(flow.id)) throw new KeelError("CONFLICT", `a flow with id "${flow.id}" exists already; PUT /api/flows/${flow.id} replaces it`);
      await flows.put(flow);
    });
    res.status(201).json({ flow });
  });

  api.get("/flows/:id", async (req, res) => {
    const flow = await flows.get(req.params.id);
    if (!flow) throw new KeelError("NOT_FOUND", `no flow "${req.params.id}"`);
    res.json({ flow });
  });

  api.put("/flows/:id", async (req, res) => {
    const doc = jsonBody(req);
    const id = (doc as { id?: unknown } | null)?.id;
    if (doc !== null && typeof doc === "object" && !Array.isArray(doc) && id !== req.params.id) {
      throw new ValidationError(`the flow's id ${JSON.stringify(id)} must equal the id in the URL ("${req.params.id}")`, {
        details: { issues: [{ path: "id", message: `id: must equal "${req.params.id}" (the id in the URL)` }] },
      });
    }
    const flow = validFlow(ctx, doc);
    await one(flow.id, () => flows.put(flow));
    await ctx.keel.liveFlows.saved(flow); // editors that have it open show what was saved
    res.json({ flow });
  });

  api.delete("/flows/:id", async (req, res) => {
    const gone = await one(req.params.id, () => flows.delete(req.params.id));
    if (!gone) throw new KeelError("NOT_FOUND", `no flow "${req.params.id}"`);
    await ctx.keel.liveFlows.removed(req.params.id);
    res.status(204).end();
  });

};
