/**
 * Classification by keyword and lexicon scores: each label collects evidence words (its name,
 * description and keywords, plus a small built-in lexicon for common labels); the text scores
 * each label by the evidence it contains. Confidence is the winner's share of the smoothed
 * scores, so no evidence at all gives 1 / labels, and one clear winner approaches 1.
 */
import type { LabelSpec } from "../types.ts";
import { termsOf } from "./text.ts";

/** The result of a local classification. */
export interface LocalClassification {
  label: string;
  confidence: number;
  scores: Record<string, number>;
}

/** Words that speak for common labels (stemmed like everything else when used). */
const LEXICON: Record<string, string> = {
  urgent: "urgent asap immediately emergency critical today now tonight deadline overdue blocker blocking outage down",
  important: "important priority critical key essential",
  positive: "great excellent love loved happy thanks thank wonderful amazing pleased perfect fantastic delighted recommend good",
  negative: "bad terrible awful disappointed unhappy angry poor worst broken refund complaint problem issue frustrated annoyed",
  neutral: "fine okay ok noted information update",
  complaint: "complaint disappointed unhappy refund broken wrong late missing damaged unacceptable poor terrible frustrated",
  question: "question how what when where why which could would can wonder clarify",
  request: "please request could would need asking send provide",
  billing: "invoice payment price receipt charge charged refund overdue paid",
  invoice: "invoice payment receipt overdue paid amount due",
  support: "help issue error broken bug problem crash fail failing support fix",
  sales: "interested pricing quote proposal purchase buy demo trial offer deal",
  lead: "interested pricing quote proposal demo hire project budget inquiry enquiry",
  spam: "unsubscribe winner free prize click offer lottery viagra crypto guaranteed congratulations",
  meeting: "meeting meet call schedule calendar appointment available availability tomorrow",
  scheduling: "schedule reschedule calendar appointment availability slot time date",
  feedback: "feedback review suggestion opinion thoughts impression",
  cancellation: "cancel cancellation terminate stop end unsubscribe",
  legal: "contract agreement clause liability terms nda lawyer legal signature",
};

const WEIGHT = { name: 3, keyword: 2, description: 1, lexicon: 1 };

/** Scores `labels` against `text`; ties go to the label listed first. */
export function classify(text: string, labels: readonly LabelSpec[]): LocalClassification {
  if (!labels.length) throw new RangeError("classify needs at least one label");
  const counts = new Map<string, number>();
  for (const t of termsOf(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const isQuestion = /\?\s*$/.test(text.trim()) || /\?\s/.test(text);
  const scores: Record<string, number> = {};
  for (const spec of labels) {
    const evidence = new Map<string, number>();
    const addWords = (words: string, weight: number) => {
      for (const t of termsOf(words)) evidence.set(t, Math.max(evidence.get(t) ?? 0, weight));
    };
    addWords(spec.label.replace(/[_-]+/g, " "), WEIGHT.name);
    for (const k of spec.keywords ?? []) addWords(k, WEIGHT.keyword);
    if (spec.description) addWords(spec.description, WEIGHT.description);
    const lex = LEXICON[spec.label.toLowerCase().replace(/[^a-z]/g, "")];
    if (lex) addWords(lex, WEIGHT.lexicon);
    let score = 0;
    for (const [term, weight] of evidence) {
      const c = counts.get(term);
      if (c) score += weight * (1 + Math.log(c)); // repeats count, with diminishing returns
    }
    if (isQuestion && /question|inquiry|enquiry/i.test(spec.label)) score += 2;
    scores[spec.label] = Math.round(score * 1000) / 1000;
  }
  let best = labels[0].label;
  for (const spec of labels) if (scores[spec.label] > scores[best]) best = spec.label;
  const smoothing = 0.5;
  const total = Object.values(scores).reduce((a, b) => a + b, 0) + smoothing * labels.length;
  const confidence = Math.round(((scores[best] + smoothing) / total) * 1000) / 1000;
  return { label: best, confidence, scores };
}
