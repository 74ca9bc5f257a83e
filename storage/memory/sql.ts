/**
 * SQL predicates for LanceDB, built only from quoted literals: nothing a user sends (a
 * collection name, a metadata key) is ever spliced into a predicate unquoted.
 */
import { ValidationError } from "../../runtime/errors.ts";
import { MEMORY_TIERS, type MemoryTier, type MetadataFilter } from "../../runtime/memory.ts";
import { metadataPairs } from "./rows.ts";

/** A SQL string literal: single quotes doubled, control characters refused. */
export function literal(value: string): string {
  if (/[\u0000]/.test(value)) throw new ValidationError("memory filter values may not contain NUL characters");
  return `'${value.replace(/'/g, "''")}'`;
}

/** `column IN (…)` for a list of strings (callers keep lists to a few hundred). */
export function inList(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map(literal).join(", ")})`;
}

/** What a search or listing may be narrowed to. */
export interface RowFilter {
  collection?: string;
  tier?: MemoryTier;
  metadata?: MetadataFilter;
  /** Leave out memories that expired before this epoch ms (default: include everything). */
  aliveAt?: number;
}

/** The WHERE predicate of a filter, or undefined when it filters nothing. */
export function wherePredicate(filter: RowFilter): string | undefined {
  const parts: string[] = [];
  if (filter.collection !== undefined) parts.push(`collection = ${literal(filter.collection)}`);
  if (filter.tier !== undefined) {
    if (!MEMORY_TIERS.includes(filter.tier)) throw new ValidationError(`memory tier must be one of ${MEMORY_TIERS.join(", ")}, got ${JSON.stringify(filter.tier)}`);
    parts.push(`tier = ${literal(filter.tier)}`);
  }
  if (filter.metadata && Object.keys(filter.metadata).length > 0) {
    for (const [key, value] of Object.entries(filter.metadata)) {
      if (value === null || typeof value === "object") throw new ValidationError(`memory metadata filter "${key}" must be a string, number or boolean`);
    }
    const pairs = metadataPairs(filter.metadata);
    parts.push(`array_has_all(meta_kv, [${pairs.map(literal).join(", ")}])`);
  }
  if (filter.aliveAt !== undefined) parts.push(`(expires_at IS NULL OR expires_at > ${Math.floor(filter.aliveAt)})`);
  return parts.length ? parts.join(" AND ") : undefined;
}
