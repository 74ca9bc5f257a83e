/** Approvals: one inbox across all flows, one approval, and the decision (approve, reject, edit-and-approve). */
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { APPROVAL_STATUSES, type ApprovalStatus, type DecisionRequest } from "../../../runtime/approvals/types.ts";
import type { RouteModule } from "../context.ts";
import { objectBody, queryString } from "../request.ts";

const MAX_LIMIT = 1000;

export const approvalRoutes: RouteModule = (api, ctx) => {
  const desk = ctx.keel.approvals;

  api.get("/approvals", async (req, res) => {
    const status = queryString(req, "status");
    if (status !== undefined && status !== "all" && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
      throw new ValidationError(`status must be one of ${[...APPROVAL_STATUSES, "all"].join(", ")}`);
    }
    const limitText = queryString(req, "limit");
    let limit = 100;
    if (limitText !== undefined) {
      limit = Number(limitText);
      if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    }
    const items = await desk.list({ status: status === "all" ? undefined : ((status ?? "pending") as ApprovalStatus), limit });
    res.json({ items });
  });

  api.get("/approvals/:id", async (req, res) => {
    const approval = await desk.get(req.params.id);
    if (!approval) throw new KeelError("NOT_FOUND", `no approval "${req.params.id.slice(0, 80)}"`);
    res.json({ approval });
  });

  api.post("/approvals/:id", async (req, res) => {
    const body = objectBody(req)!;
    const { approval } = await desk.decide(req.params.id, body as unknown as DecisionRequest);
    res.json({ approval });
  });
};
