/**
 * Text helpers of the local provider: sentences, terms, keyword phrases and term vectors.
 * Terms are the embedder's (folded, stopwords out, synonyms mapped, stemmed), so that what
 * the local provider ranks and what memory retrieves agree on what a word is.
 */
import { embeddingTerms } from "./embedding.ts";

/** A sentence with its position in the text. */
export interface Sentence {
  text: string;
  index: number;
  terms: string[];
}

const ABBREVIATIONS = /\b(?:mr|mrs|ms|dr|prof|inc|ltd|co|corp|st|vs|etc|e\.g|i\.e|no|approx|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.$/i;

/** Splits text into sentences at . ! ? and line breaks, keeping abbreviations and decimals whole. */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  const push = (raw: string) => {
    const t = raw.replace(/\s+/g, " ").trim();
    if (t && /[\p{L}\p{N}]/u.test(t)) out.push({ text: t, index: out.length, terms: embeddingTerms(t) });
  };
  for (const block of text.split(/\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)/)) {
    let current = "";
    const pieces = block.split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'(“‘])|\n/u);
    for (const piece of pieces) {
      current = current ? `${current} ${piece}` : piece;
      if (ABBREVIATIONS.test(current.trim())) continue;
      push(current);
      current = "";
    }
    if (current) push(current);
  }
  return out;
}

/** The terms of a text (see embeddingTerms). */
export function termsOf(text: string): string[] {
  return embeddingTerms(text);
}

/** Term → count. */
export function termCounts(terms: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of terms) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Cosine of two term-count vectors. */
export function termCosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [t, v] of a) {
    na += v * v;
    const w = b.get(t);
    if (w) dot += v * w;
  }
  for (const v of b.values()) nb += v * v;
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Jaccard overlap of two term lists (as sets). */
export function termOverlap(a: readonly string[], b: readonly string[]): number {
  if (!a.length || !b.length) return 0;
  const sa = new Set(a);
  const sb = new Set(b);
  let both = 0;
  for (const t of sa) if (sb.has(t)) both++;
  return both / (sa.size + sb.size - both);
}

const PHRASE_BREAK = /[.,;:!?()[\]{}"“”‘’\n\r\t|/\\]+|\s[-–—]\s/;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;

/**
 * Keyword phrases, best first (RAKE: candidate phrases are runs of content words between
 * stopwords and punctuation; a word scores degree / frequency; a phrase the sum of its words).
 */
export function keywords(text: string, max = 8): string[] {
  const candidates: string[][] = [];
  for (const chunk of text.split(PHRASE_BREAK)) {
    let phrase: string[] = [];
    for (const m of chunk.matchAll(WORD)) {
      const word = m[0];
      if (embeddingTerms(word).length === 0 || /^\d+$/.test(word)) {
        if (phrase.length) candidates.push(phrase);
        phrase = [];
      } else phrase.push(word);
    }
    if (phrase.length) candidates.push(phrase);
  }
  const freq = new Map<string, number>();
  const degree = new Map<string, number>();
  for (const phrase of candidates) {
    for (const w of phrase) {
      const k = w.toLowerCase();
      freq.set(k, (freq.get(k) ?? 0) + 1);
      degree.set(k, (degree.get(k) ?? 0) + Math.min(phrase.length, 4));
    }
  }
  const scored = new Map<string, { phrase: string; score: number }>();
  for (const phrase of candidates) {
    if (phrase.length > 4) continue;
    const key = phrase.map((w) => w.toLowerCase()).join(" ");
    const score = phrase.reduce((s, w) => s + degree.get(w.toLowerCase())! / freq.get(w.toLowerCase())!, 0);
    const seen = scored.get(key);
    if (seen) seen.score += score * 0.5; // repeated phrases matter more
    else scored.set(key, { phrase: phrase.join(" "), score });
  }
  return [...scored.values()]
    .sort((a, b) => b.score - a.score || a.phrase.localeCompare(b.phrase))
    .slice(0, max)
    .map((s) => s.phrase);
}

/** About four characters a token: the estimate used where a provider reports no counts. */
export function estimateTokens(text: string): number {
  return text ? Math.max(1, Math.ceil(text.length / 4)) : 0;
}

/** Flattens any JSON-ish value into readable text (for a local draft's context). */
export function textOf(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (depth > 6) return "";
  if (Array.isArray(value)) return value.map((v) => textOf(v, depth + 1)).filter(Boolean).join("\n");
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.text === "string") return o.text; // memory items and the like
    return Object.values(o).map((v) => textOf(v, depth + 1)).filter(Boolean).join("\n");
  }
  return "";
}
