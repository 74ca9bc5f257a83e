/** Ids for flows, nodes and edges, in the shape the flow schema accepts. */

const ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** True when the flow schema accepts this as a flow or node id. */
export function isValidId(id: string): boolean {
  return ID.test(id);
}

/** A valid id made from any text: "Draft a proposal!" → "draft-a-proposal". */
export function slugify(text: string, fallback = "flow"): string {
  let s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  if (!s) s = fallback;
  if (!/^[a-z_]/.test(s)) s = `${fallback}-${s}`;
  return s.slice(0, 64);
}

/** `base`, or `base_2`, `base_3`… whichever is not taken. */
export function uniqueId(base: string, taken: (id: string) => boolean, separator = "_"): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base.slice(0, 58)}${separator}${i}`;
    if (!taken(id)) return id;
  }
}
