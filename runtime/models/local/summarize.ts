/**
 * Extractive summaries and facts by sentence ranking: each sentence scores by how close its
 * terms are to the whole text's (the centroid), with a small bonus for leading sentences;
 * near-duplicates are dropped and the chosen sentences keep their original order.
 */
import { splitSentences, termCosine, termCounts, termOverlap, type Sentence } from "./text.ts";

/** A ranked sentence. */
export interface RankedSentence extends Sentence {
  score: number;
}

/** Ranks sentences, best first. `focus` (e.g. a prompt) pulls sentences that share its terms up. */
export function rankSentences(text: string, options: { focus?: string } = {}): RankedSentence[] {
  const sentences = splitSentences(text);
  if (!sentences.length) return [];
  const centroid = termCounts(sentences.flatMap((s) => s.terms));
  // terms found in one sentence only carry little about the text as a whole
  for (const [t, c] of centroid) if (c === 1 && sentences.length > 3) centroid.set(t, 0.5);
  const focus = options.focus ? termCounts(splitSentences(options.focus).flatMap((s) => s.terms)) : undefined;
  const n = sentences.length;
  return sentences
    .map((s) => {
      const own = termCounts(s.terms);
      let score = termCosine(own, centroid);
      if (focus?.size) score = 0.4 * score + 0.6 * termCosine(own, focus);
      score += n > 1 ? 0.1 * (1 - s.index / (n - 1)) : 0.1; // leads tend to state the point
      if (s.terms.length < 3) score *= 0.5; // fragments and greetings
      return { ...s, score };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

/** Picks up to `max` ranked sentences, skipping near-duplicates, back in text order. */
function pick(ranked: RankedSentence[], max: number, accept: (s: RankedSentence) => boolean = () => true): RankedSentence[] {
  const chosen: RankedSentence[] = [];
  for (const s of ranked) {
    if (chosen.length >= max) break;
    if (!accept(s)) continue;
    if (chosen.some((c) => termOverlap(c.terms, s.terms) > 0.6)) continue;
    chosen.push(s);
  }
  return chosen.sort((a, b) => a.index - b.index);
}

/** An extractive summary of at most `maxSentences` sentences, in the text's order. */
export function summarize(text: string, maxSentences = 3): string {
  return pick(rankSentences(text), Math.max(1, maxSentences))
    .map((s) => s.text)
    .join(" ");
}

const SPEAKER = /^\s*(?:\[[^\]]{1,40}\]\s*)?[\p{L}][\p{L} .'-]{0,30}:\s+/u;
const CHITCHAT = /^(?:hi|hello|hey|thanks|thank you|ok|okay|sure|great|cheers|bye|good (?:morning|afternoon|evening))\b/i;

/**
 * Short standalone facts from a long text or a conversation: speaker prefixes stripped,
 * questions and chit-chat dropped, near-duplicates merged, most informative first kept.
 */
export function extractFacts(text: string, maxFacts = 8): string[] {
  const lines = text.split("\n").map((l) => l.replace(SPEAKER, "")).join("\n");
  const ranked = rankSentences(lines);
  return pick(ranked, Math.max(1, maxFacts), (s) => !s.text.endsWith("?") && !(CHITCHAT.test(s.text) && s.terms.length < 5) && s.terms.length >= 3).map((s) =>
    /[.!]$/.test(s.text) ? s.text : `${s.text}.`,
  );
}
