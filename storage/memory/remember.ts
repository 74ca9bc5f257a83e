/**
 * Differential retention: before a memory is inserted, its nearest neighbour in the same
 * collection is looked up; at or above the duplicate threshold (cosine) the existing memory is
 * kept and brought up to date instead (newer text, merged metadata, the higher tier, a renewed
 * expiry), so repeating or restating a fact never piles up copies.
 */
import { randomBytes } from "node:crypto";
import { ValidationError } from "../../runtime/errors.ts";
import {
  DEFAULT_COLLECTION,
  DEFAULT_DUPLICATE_THRESHOLD,
  DEFAULT_WORKING_TTL_DAYS,
  MEMORY_TIERS,
  type MemorySource,
  type MemoryTier,
  type MetadataValue,
  type RememberInput,
  type RememberResult,
} from "../../runtime/memory.ts";
import { ROW_COLUMNS, metadataPairs, rowOf, sourceColumns, type MemoryRow } from "./rows.ts";
import type { SpaceTable } from "./space-table.ts";
import { literal, wherePredicate } from "./sql.ts";

const DAY_MS = 86_400_000;
/** Longest memory text accepted (characters). */
export const MAX_MEMORY_CHARS = 100_000;

/** Checks a remember input, naming the field at fault. */
export function validateRemember(input: RememberInput): void {
  if (typeof input?.text !== "string" || !input.text.trim()) throw new ValidationError("remember needs a non-empty text");
  if (input.text.length > MAX_MEMORY_CHARS) throw new ValidationError(`a memory is at most ${MAX_MEMORY_CHARS} characters; this one has ${input.text.length} (condense it first)`);
  if (input.tier !== undefined && !MEMORY_TIERS.includes(input.tier)) throw new ValidationError(`tier must be one of ${MEMORY_TIERS.join(", ")}, got ${JSON.stringify(input.tier)}`);
  if (input.collection !== undefined && (typeof input.collection !== "string" || !input.collection.trim())) throw new ValidationError("collection must be a non-empty string");
  if (input.ttlDays !== undefined && !(typeof input.ttlDays === "number" && input.ttlDays > 0)) throw new ValidationError("ttlDays must be a positive number");
  const threshold = input.duplicateThreshold;
  if (threshold !== undefined && !(typeof threshold === "number" && threshold > 0 && threshold <= 1)) throw new ValidationError("duplicateThreshold must be in (0, 1]");
  if (input.metadata !== undefined && (typeof input.metadata !== "object" || input.metadata === null || Array.isArray(input.metadata))) throw new ValidationError("metadata must be an object");
}

/** Remembers `input` (already embedded as `vector`) in `table`. Serialised per table. */
export function rememberIn(
  table: SpaceTable,
  input: RememberInput,
  vector: Float32Array,
  context: { now: number; defaultSource: MemorySource },
): Promise<RememberResult> {
  validateRemember(input);
  return table.exclusive(async () => {
    const { now } = context;
    const collection = input.collection ?? DEFAULT_COLLECTION;
    const tier: MemoryTier = input.tier ?? "working";
    const expiresAt = (t: MemoryTier) => (t === "long" ? null : now + (input.ttlDays ?? DEFAULT_WORKING_TTL_DAYS) * DAY_MS);
    const text = input.text.trim();
    const metadata = input.metadata ?? {};
    const source = sourceColumns(input.source ?? context.defaultSource);

    const nearest = await nearestAlive(table, vector, collection, now, input.id);
    const threshold = input.duplicateThreshold ?? DEFAULT_DUPLICATE_THRESHOLD;
    if (nearest && nearest.similarity >= threshold) {
      const old = rowOf(nearest.row);
      const newTier: MemoryTier = old.tier === "long" || tier === "long" ? "long" : "working";
      const merged = { ...parse(old.metadata), ...metadata };
      const sameText = normalise(old.text) === normalise(text);
      const row: MemoryRow = {
        ...old,
        ...(sameText ? {} : { text, ...source }),
        tier: newTier,
        updated_at: now,
        expires_at: expiresAt(newTier),
        metadata: JSON.stringify(merged),
        meta_kv: metadataPairs(merged),
      };
      const changed = !sameText || newTier !== old.tier || row.metadata !== old.metadata;
      // even an unchanged fact is written back: seeing it again renews a working memory's expiry
      await table.upsert([row], [vector]);
      await table.maintainIfDue();
      return changed
        ? { id: old.id, action: "updated", similarity: nearest.similarity, ...(sameText ? {} : { previousText: old.text }) }
        : { id: old.id, action: "skipped", similarity: nearest.similarity };
    }

    const row: MemoryRow = {
      id: input.id ?? `m_${randomBytes(10).toString("hex")}`,
      collection,
      tier,
      text,
      ...source,
      created_at: now,
      updated_at: now,
      expires_at: expiresAt(tier),
      metadata: JSON.stringify(metadata),
      meta_kv: metadataPairs(metadata),
    };
    // upsert, not add: a node re-run after a crash writes the same derived id again
    if (input.id) await table.upsert([row], [vector]);
    else await table.add([row], [vector]);
    await table.maintainIfDue();
    return { id: row.id, action: "inserted" };
  });
}

/** The closest live memory of the collection (or the one holding `id`, when it exists). */
async function nearestAlive(
  table: SpaceTable,
  vector: Float32Array,
  collection: string,
  now: number,
  id: string | undefined,
): Promise<{ row: Record<string, unknown>; similarity: number } | undefined> {
  const where = wherePredicate({ collection, aliveAt: now });
  if (id) {
    // the same write repeated (a retried node): treat it as its own duplicate
    const same = await table.table.query().where(`${where} AND id = ${literal(id)}`).select([...ROW_COLUMNS]).limit(1).toArray();
    if (same.length) return { row: same[0], similarity: 1 };
  }
  if (!vector.some((x) => x !== 0)) return undefined;
  let q = table.table.vectorSearch(vector).distanceType("cosine").select([...ROW_COLUMNS, "_distance"]).where(where!).limit(1);
  const nprobes = await table.nprobes();
  if (nprobes !== undefined) q = q.nprobes(nprobes);
  const rows = await q.toArray();
  if (!rows.length) return undefined;
  return { row: rows[0], similarity: 1 - Number(rows[0]._distance) };
}

/** Text compared for "the same fact": case, spacing and final punctuation do not count. */
function normalise(text: string): string {
  return text.replace(/\s+/g, " ").trim().replace(/[.!;:,\s]+$/, "").toLowerCase();
}

function parse(json: string): Record<string, MetadataValue> {
  try {
    return JSON.parse(json);
  } catch {
    return {};
  }
}
