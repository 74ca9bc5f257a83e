/** Runs: start one from a saved flow, list, read (state + events), cancel. */
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { isRunId } from "../../../runtime/ids.ts";
import { toRunResult, toRunSummary } from "../../../runtime/result.ts";
import type { RunStatus } from "../../../runtime/schema/events.ts";
import { foldEvents } from "../../../runtime/state.ts";
import type { RouteModule } from "../context.ts";
import { RunEventCache } from "../run-events.ts";
import { objectBody, queryString } from "../request.ts";

const STATUSES: readonly RunStatus[] = ["running", "waiting", "succeeded", "failed", "canceled"];
const MAX_LIMIT = 1000;

export const runRoutes: RouteModule = (api, ctx) => {
  const { coordinator, flows, index } = ctx.keel;
  const recent = new RunEventCache(coordinator);

  api.post("/flows/:id/runs", async (req, res) => {
    const body = objectBody(req, { optional: true }) ?? {};
    const extra = Object.keys(body).filter((k) => k !== "input");
    if (extra.length) throw new ValidationError(`the body is { input? }; unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k)).join(", ")}`);
    const flow = await flows.get(req.params.id);
    if (!flow) throw new KeelError("NOT_FOUND", `no flow "${req.params.id}"`);
    const { runId } = await coordinator.start(flow, body.input);
    res.status(202).json({ runId });
  });

  api.get("/runs", async (req, res) => {
    const flowId = queryString(req, "flow");
    const status = queryString(req, "status");
    const limitText = queryString(req, "limit");
    const cursor = queryString(req, "cursor");
    if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
      throw new ValidationError(`status must be one of ${STATUSES.join(", ")}`);
    }
    let limit = 50;
    if (limitText !== undefined) {
      limit = Number(limitText);
      if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    if (cursor !== undefined && !isRunId(cursor)) throw new ValidationError("cursor must be the nextCursor of a previous page");
    const page = await index.list({ flowId: flowId || undefined, status: status as RunStatus | undefined, limit, cursor });
    res.json(page.nextCursor ? page : { items: page.items });
  });

  api.get("/runs/:id", async (req, res) => {
    const afterText = queryString(req, "after");
    const after = afterText === undefined ? 0 : Number(afterText);
    if (!Number.isInteger(after) || after < 0) throw new ValidationError("after must be an event seq (a whole number)");
    // one read of the log gives a state and an event list that agree with each other
    const events = recent.cached(req.params.id) ?? (await recent.events(req.params.id));
    const state = foldEvents(req.params.id, events);
    res.json({
      run: toRunResult(state),
      summary: toRunSummary(state),
      events: after ? events.filter((e) => e.seq > after) : events,
    });
  });

  api.post("/runs/:id/cancel", async (req, res) => {
    const body = objectBody(req, { optional: true });
    const reason = body?.reason;
    if (reason !== undefined && (typeof reason !== "string" || reason.length > 500)) {
      throw new ValidationError("reason must be a string of at most 500 characters");
    }
    // a finished run is answered from its log, without loading it for appending
    const before = await coordinator.state(req.params.id); // 404 for an unknown run
    if (before.status === "succeeded" || before.status === "failed" || before.status === "canceled") {
      throw new KeelError("CONFLICT", `run ${before.id} already ${before.status}`);
    }
    const run = await coordinator.cancel(req.params.id, reason ?? "canceled by the operator");
    res.json({ run });
  });

};
