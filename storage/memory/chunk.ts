/**
 * Splits a Markdown or plain-text document into chunks for memory: along headings first, then
 * paragraphs, then sentences, packed up to a size limit, each chunk starting with the tail of
 * the one before (overlap) so that a fact cut at a boundary is still whole in one of them.
 * Each chunk carries its heading trail ("Harbor Bakery > Billing") as its first line: a
 * paragraph alone often does not say what it is about.
 */

/** One chunk of a document. */
export interface Chunk {
  /** The heading trail (may be empty) and the body, as stored and embedded. */
  text: string;
  /** The heading trail, e.g. "Harbor Bakery > Billing"; empty before the first heading. */
  heading: string;
  /** Position in the document, from 0. */
  index: number;
}

/** Chunk sizes in characters. */
export interface ChunkOptions {
  /** Largest body of a chunk (default 900). */
  maxChars?: number;
  /** How much of the previous chunk's end a chunk repeats (default 150). */
  overlapChars?: number;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;

/** Splits a document into chunks; markdown headings are recognised outside code fences. */
export function chunkDocument(text: string, options: ChunkOptions = {}): Chunk[] {
  const maxChars = Math.max(100, options.maxChars ?? 900);
  const overlapChars = Math.min(Math.max(0, options.overlapChars ?? 150), Math.floor(maxChars / 2));
  const chunks: Chunk[] = [];
  for (const section of sections(stripFrontMatter(text.replace(/\r\n?/g, "\n")))) {
    for (const body of packUnits(units(section.body, maxChars), maxChars, overlapChars)) {
      chunks.push({ text: section.heading ? `${section.heading}\n${body}` : body, heading: section.heading, index: chunks.length });
    }
  }
  return chunks;
}

function stripFrontMatter(text: string): string {
  if (!text.startsWith("---\n")) return text;
  const end = text.indexOf("\n---", 4);
  return end < 0 ? text : text.slice(text.indexOf("\n", end + 1) + 1 || text.length);
}

/** The document cut at headings; each section knows its heading trail. */
function sections(text: string): Array<{ heading: string; body: string }> {
  const out: Array<{ heading: string; body: string }> = [];
  const trail: string[] = [];
  let lines: string[] = [];
  let inFence = false;
  const flush = () => {
    const body = lines.join("\n").trim();
    if (body) out.push({ heading: trail.filter(Boolean).join(" > "), body });
    lines = [];
  };
  for (const line of text.split("\n")) {
    if (FENCE.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (!m) {
      lines.push(line);
      continue;
    }
    flush();
    const level = m[1].length;
    trail.length = level; // drop deeper headings, keep the parents
    trail[level - 1] = m[2].replace(/[*_`]/g, "").trim();
  }
  flush();
  return out;
}

/** Paragraphs, with any paragraph longer than `maxChars` cut into sentences (and those into words). */
function units(body: string, maxChars: number): string[] {
  const out: string[] = [];
  for (const paragraph of body.split(/\n\s*\n/)) {
    const p = paragraph.trim();
    if (!p) continue;
    if (p.length <= maxChars) {
      out.push(p);
      continue;
    }
    for (const sentence of p.split(/(?<=[.!?;])\s+(?=\S)/)) {
      if (sentence.length <= maxChars) out.push(sentence);
      else out.push(...hardSplit(sentence, maxChars));
    }
  }
  return out;
}

function hardSplit(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    let cut = rest.lastIndexOf(" ", maxChars);
    if (cut < maxChars / 2) cut = maxChars;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

/** Packs units into bodies of at most `maxChars`; each new body starts with the previous one's tail. */
function packUnits(parts: string[], maxChars: number, overlapChars: number): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let size = 0;
  let fresh = 0; // units in `current` that are not overlap
  for (const part of parts) {
    const added = size === 0 ? part.length : size + 2 + part.length;
    if (fresh > 0 && added > maxChars) {
      bodies.push(current.join("\n\n"));
      current = overlapOf(current, overlapChars, maxChars - part.length - 2);
      size = current.reduce((s, u, i) => s + u.length + (i ? 2 : 0), 0);
      fresh = 0;
    }
    current.push(part);
    size = size === 0 ? part.length : size + 2 + part.length;
    fresh++;
  }
  if (fresh > 0) bodies.push(current.join("\n\n"));
  return bodies;
}

/** The tail of a body to repeat: whole trailing units when they fit, else the last sentence-ish words. */
function overlapOf(units: string[], overlapChars: number, room: number): string[] {
  const budget = Math.min(overlapChars, room);
  if (budget <= 0) return [];
  const last = units[units.length - 1];
  if (last.length <= budget) return [last];
  const tail = last.slice(last.length - budget);
  const sentenceStart = tail.search(/(?<=[.!?;])\s+\S/);
  const cut = sentenceStart >= 0 ? tail.slice(sentenceStart).trim() : tail.slice(tail.indexOf(" ") + 1).trim();
  return cut ? [`…${cut}`] : [];
}
