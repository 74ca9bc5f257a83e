/** Memory: search (with citations), write a manual memory, read, promote and delete by id, stats. */
import type { Request } from "express";
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { MEMORY_TIERS, type MemoryTier, type MetadataFilter, type MetadataValue } from "../../../runtime/memory.ts";
import type { RouteModule } from "../context.ts";
import { objectBody, queryString } from "../request.ts";

const MODES = ["hybrid", "vector", "text"] as const;

function tierOf(value: unknown, where: string): MemoryTier | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(MEMORY_TIERS as readonly string[]).includes(value)) {
    throw new ValidationError(`${where} must be one of ${MEMORY_TIERS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as MemoryTier;
}

/** `meta.<key>=<value>` query parameters as a metadata filter (values compared as text). */
function metadataFilter(req: Request): MetadataFilter | undefined {
  const filter: MetadataFilter = {};
  for (const key of Object.keys(req.query)) {
    if (!key.startsWith("meta.")) continue;
    const name = key.slice(5);
    if (!name) throw new ValidationError("a metadata filter needs a key: meta.<key>=<value>");
    filter[name] = queryString(req, key)!;
  }
  return Object.keys(filter).length ? filter : undefined;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !v.trim()) throw new ValidationError(`${name} must be a non-empty string`);
  return v;
}

export const memoryRoutes: RouteModule = (api, ctx) => {
  const memory = ctx.keel.memory;

  api.get("/memory/search", async (req, res) => {
    const query = queryString(req, "q") ?? queryString(req, "query");
    if (query === undefined || !query.trim()) throw new ValidationError("GET /api/memory/search needs a query: ?q=…");
    const kText = queryString(req, "k");
    const k = kText === undefined ? 5 : Number(kText);
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new ValidationError(`k must be an integer from 1 to 100, got ${JSON.stringify(kText)}`);
    const mode = queryString(req, "mode") ?? "hybrid";
    if (!(MODES as readonly string[]).includes(mode)) throw new ValidationError(`mode must be one of ${MODES.join(", ")}, got ${JSON.stringify(mode)}`);
    const collection = queryString(req, "collection");
    const tier = tierOf(queryString(req, "tier"), "tier");
    const metadata = metadataFilter(req);
    const items = await memory.search(query, {
      k,
      mode: mode as (typeof MODES)[number],
      ...(collection ? { collection } : {}),
      ...(tier ? { tier } : {}),
      ...(metadata ? { metadata } : {}),
    });
    res.json({ query, items });
  });

  api.get("/memory/stats", async (_req, res) => {
    res.json(await memory.stats());
  });

  api.post("/memory", async (req, res) => {
    const body = objectBody(req)!;
    const allowed = new Set(["text", "collection", "tier", "metadata", "ttlDays", "note"]);
    const unknown = Object.keys(body).filter((k) => !allowed.has(k));
    if (unknown.length) throw new ValidationError(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; a memory takes ${[...allowed].join(", ")}`);
    const text = optionalString(body, "text");
    if (text === undefined) throw new ValidationError("a memory needs text");
    const note = optionalString(body, "note");
    const collection = optionalString(body, "collection");
    const result = await memory.remember(
      {
        text,
        ...(collection ? { collection } : {}),
        ...(body.tier === undefined ? {} : { tier: tierOf(body.tier, "tier") }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata as Record<string, MetadataValue> }),
        ...(body.ttlDays === undefined ? {} : { ttlDays: body.ttlDays as number }),
      },
      { source: note ? { kind: "manual", note } : { kind: "manual" } },
    );
    const item = await memory.get(result.id);
    res.status(result.action === "inserted" ? 201 : 200).json({ result, item });
  });

  api.get("/memory/:id", async (req, res) => {
    const item = await memory.get(req.params.id);
    if (!item) throw new KeelError("NOT_FOUND", `no memory "${req.params.id}"`);
    res.json({ item });
  });

  api.post("/memory/:id/promote", async (req, res) => {
    const item = await memory.promote(req.params.id);
    if (!item) throw new KeelError("NOT_FOUND", `no memory "${req.params.id}"`);
    res.json({ item });
  });

  api.delete("/memory/:id", async (req, res) => {
    if (!(await memory.forget(req.params.id))) throw new KeelError("NOT_FOUND", `no memory "${req.params.id}"`);
    res.status(204).end();
  });
};
