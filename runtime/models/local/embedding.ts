/**
 * The built-in `local` embedder: deterministic hashed n-gram embeddings, no weights, no network.
 *
 * Features (each hashed into a signed bucket of a fixed-size vector, then l2-normalised):
 * - word unigrams after lower-casing, accent folding, stopword removal, a small business-synonym
 *   lexicon and light suffix stemming ("invoices", "invoiced", "invoicing" → "invoic");
 * - word bigrams of those terms (word order and phrases);
 * - character trigrams of each term with boundary marks (spelling variants, compounds, typos).
 *
 * Signed hashing (one hash bit picks +1 or -1) keeps collisions unbiased, so the cosine of two
 * vectors estimates the overlap of their feature sets. It is lexical, not semantic: paraphrases
 * land near each other when they share stems, synonyms from the lexicon or word pieces.
 * The same text always gives the same vector, on every machine, so vectors stored today stay
 * comparable with queries made tomorrow as long as `dim` and this file's FEATURE_VERSION hold.
 */

/** The dimension of local embeddings (vectors stored by memory tables using the local embedder). */
export const LOCAL_EMBEDDING_DIM = 256;

/** Bumped whenever a change here alters vectors: tables embedded by an older version must be rebuilt. */
export const LOCAL_EMBEDDING_VERSION = 1;

/** The name the local embedder is stored and traced under. */
export const LOCAL_EMBEDDING_MODEL = `hashed-ngram-v${LOCAL_EMBEDDING_VERSION}`;

const UNIGRAM_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.6;
/** Spread over a term's trigrams, so a long word weighs about as much as a short one. */
const TRIGRAM_WEIGHT_PER_TERM = 0.9;

/** Words that carry no topic: dropped before hashing. */
const STOPWORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below between both but by " +
    "can could did do does doing down during each few for from further had has have having he her here hers herself him " +
    "himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other " +
    "our ours ourselves out over own same she should so some such than that the their theirs them themselves then there " +
    "these they this those through to too under until up very was we were what when where which while who whom why will " +
    "with would you your yours yourself yourselves also us might must shall let lets get got gets s t d ll m re ve"
  ).split(" "),
);

/**
 * A small lexicon of business synonyms mapped to one canonical word before stemming, so that
 * e.g. "customer" and "client" share a feature. Kept short on purpose: it covers the words a
 * one-person company's notes use most, not the language.
 */
const SYNONYMS: Record<string, string> = {
  customer: "client", customers: "client", patron: "client", account: "client", accounts: "client",
  bill: "invoice", bills: "invoice", billed: "invoice", billing: "invoice",
  pay: "payment", paid: "payment", pays: "payment", paying: "payment", settle: "payment",
  cost: "price", costs: "price", fee: "price", fees: "price", rate: "price", rates: "price", pricing: "price", quote: "price", quoted: "price",
  budget: "price", budgets: "price",
  deadline: "due", deadlines: "due", duedate: "due",
  meeting: "meet", meetings: "meet", call: "meet", calls: "meet",
  email: "mail", emails: "mail", e: "mail",
  likes: "prefer", liked: "prefer", want: "prefer", wants: "prefer", wanted: "prefer", favour: "prefer", favor: "prefer", favorite: "prefer", favourite: "prefer", prefers: "prefer",
  dislike: "avoid", dislikes: "avoid", hate: "avoid", hates: "avoid",
  colour: "color", colours: "color", colors: "color", palette: "color", palettes: "color",
  logo: "brand", logos: "brand", branding: "brand", identity: "brand",
  website: "web", site: "web", sites: "web", websites: "web", webpage: "web",
  contract: "agreement", contracts: "agreement", agreements: "agreement",
  begin: "start", begins: "start", began: "start", kickoff: "start",
  finish: "end", finished: "end", ends: "end", wrap: "end",
  big: "large", huge: "large", small: "little", tiny: "little",
  fast: "quick", quickly: "quick", rapid: "quick", urgent: "quick", asap: "quick",
  fix: "repair", fixes: "repair", fixed: "repair", bug: "repair", bugs: "repair",
  buy: "purchase", bought: "purchase", buys: "purchase",
  owner: "founder", ceo: "founder", boss: "founder",
  photo: "image", photos: "image", picture: "image", pictures: "image", photography: "image", images: "image",
  typeface: "font", typefaces: "font", fonts: "font", typography: "font",
  monthly: "month", months: "month", weekly: "week", weeks: "week",
  phone: "telephone", mobile: "telephone",
};

/** Longest first: the first matching suffix is stripped when at least three letters remain. */
const SUFFIXES = ["ational", "ization", "fulness", "iveness", "ations", "ation", "ments", "ment", "ness", "ings", "ing", "ies", "ied", "ers", "er", "ed", "ly", "es", "s"];
const DOUBLED_AFTER = new Set(["ing", "ings", "ed", "er", "ers"]);

/**
 * Maps synonyms, then strips one common suffix, a trailing "e" and a doubled final consonant,
 * so that "invoice", "invoices", "invoiced" and "invoicing" all become "invoic" and "planning"
 * becomes "plan". Linguistically rough; what matters is that variants of a word agree.
 */
export function normaliseTerm(word: string): string {
  let term = SYNONYMS[word] ?? word;
  for (const suffix of SUFFIXES) {
    if (term.length - suffix.length < 3 || !term.endsWith(suffix)) continue;
    if (suffix === "s" && /(ss|us|is)$/.test(term)) break;
    const stem = term.slice(0, -suffix.length);
    if (suffix === "ies" || suffix === "ied") term = `${stem}y`;
    else if (DOUBLED_AFTER.has(suffix) && /([^aeiouylsz])\1$/.test(stem)) term = stem.slice(0, -1);
    else term = stem;
    break;
  }
  if (term.length > 3 && term.endsWith("e")) term = term.slice(0, -1);
  return term;
}

const WORD = /[\p{L}\p{N}]+/gu;
const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** The terms a text is embedded from: words folded, stopwords out, synonyms mapped, stemmed. */
export function embeddingTerms(text: string): string[] {
  const terms: string[] = [];
  forEachWord(text, (word) => {
    if (!STOPWORDS.has(word)) terms.push(normaliseTerm(word));
  });
  return terms;
}

/** Seeds per feature family, so a word and a trigram with the same letters land apart. */
const SEED_UNIGRAM = 0x811c9dc5;
const SEED_BIGRAM = 0x01000193;
const SEED_TRIGRAM = 0x9e3779b9;

/** FNV-1a over a string's UTF-16 code units, then a murmur3 finaliser to spread the bits. */
function hashString(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A word's own features, precomputed once: its unigram and trigram buckets with signed weights. */
interface TermFeatures {
  hash: number;
  buckets: Int32Array;
  weights: Float32Array;
}

/**
 * Per dimension: lower-cased word → its features (null for a stopword). Words repeat across
 * texts, so stemming and hashing them once makes embedding a few times faster. Bounded: cleared
 * when it grows past CACHE_LIMIT words.
 */
const termCache = new Map<number, Map<string, TermFeatures | null>>();
const CACHE_LIMIT = 200_000;

function featuresOf(word: string, dim: number): TermFeatures | null {
  let cache = termCache.get(dim);
  if (!cache) termCache.set(dim, (cache = new Map()));
  const known = cache.get(word);
  if (known !== undefined) return known;
  let features: TermFeatures | null = null;
  if (!STOPWORDS.has(word)) {
    const term = normaliseTerm(word);
    const hash = hashString(term, SEED_UNIGRAM);
    const trigrams = trigramHashes(term);
    const buckets = new Int32Array(1 + trigrams.length);
    const weights = new Float32Array(1 + trigrams.length);
    buckets[0] = bucketOf(hash, dim);
    weights[0] = signOf(hash) * UNIGRAM_WEIGHT;
    const trigramWeight = trigrams.length ? TRIGRAM_WEIGHT_PER_TERM / Math.sqrt(trigrams.length) : 0;
    for (let i = 0; i < trigrams.length; i++) {
      buckets[i + 1] = bucketOf(trigrams[i], dim);
      weights[i + 1] = signOf(trigrams[i]) * trigramWeight;
    }
    features = { hash, buckets, weights };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(word, features);
  return features;
}

function bucketOf(hash: number, dim: number): number {
  return (hash & 0x7fffffff) % dim;
}

function signOf(hash: number): number {
  return hash & 0x80000000 ? -1 : 1;
}

const ASCII_WORD_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD_CHAR[c] = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) ? 1 : 0;

const UNICODE_WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/**
 * Calls `visit` with each lower-cased, accent-folded word of the text, in order. ASCII is
 * scanned by table; a word with other characters is folded (NFKD, marks dropped) on its own,
 * so one "…" or "é" does not send the whole text down the slow path.
 */
function forEachWord(text: string, visit: (word: string) => void): void {
  const lower = text.toLowerCase();
  let start = -1;
  let ascii = true;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 32;
    const isWord = c < 128 ? ASCII_WORD_CHAR[c] === 1 : UNICODE_WORD_CHAR.test(lower[i]);
    if (isWord) {
      if (start < 0) {
        start = i;
        ascii = true;
      }
      if (c >= 128) ascii = false;
    } else if (start >= 0) {
      emit(lower.slice(start, i), ascii, visit);
      start = -1;
    }
  }
}

function emit(word: string, ascii: boolean, visit: (word: string) => void): void {
  if (ascii) return visit(word);
  const folded = word.normalize("NFKD").replace(COMBINING_MARKS, "");
  for (const match of folded.matchAll(WORD)) visit(match[0]);
}

/**
 * Embeds one text into a unit vector of `dim` floats (all zeros when the text has no terms).
 * Pure and deterministic.
 */
export function hashedEmbedding(text: string, dim: number = LOCAL_EMBEDDING_DIM): Float32Array {
  if (!Number.isInteger(dim) || dim < 8) throw new RangeError(`embedding dimension must be an integer ≥ 8, got ${dim}`);
  const vector = new Float32Array(dim);
  let previous = -1;
  forEachWord(text, (word) => {
    const f = featuresOf(word, dim);
    if (!f) return;
    for (let i = 0; i < f.buckets.length; i++) vector[f.buckets[i]] += f.weights[i];
    if (previous >= 0) {
      const bigram = mix(Math.imul(previous, 0x2545f491) ^ f.hash ^ SEED_BIGRAM);
      vector[bucketOf(bigram, dim)] += signOf(bigram) * BIGRAM_WEIGHT;
    }
    previous = f.hash;
  });
  let norm = 0;
  for (let i = 0; i < dim; i++) norm += vector[i] * vector[i];
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dim; i++) vector[i] *= inv;
  }
  return vector;
}

/** Hashes of the character trigrams of `^term$`, from the code units directly (no substrings). */
function trigramHashes(term: string): number[] {
  const n = term.length + 2; // with the two boundary marks
  const code = (i: number): number => (i === 0 ? 0x5e : i === n - 1 ? 0x24 : term.charCodeAt(i - 1));
  const out: number[] = [];
  for (let i = 0; i + 2 < n; i++) {
    let h = SEED_TRIGRAM;
    h = Math.imul(h ^ code(i), 0x01000193);
    h = Math.imul(h ^ code(i + 1), 0x01000193);
    h = Math.imul(h ^ code(i + 2), 0x01000193);
    out.push(mix(h));
  }
  return out;
}

/** Embeds many texts; the same as mapping `hashedEmbedding`, kept as the batched entry point. */
export function hashedEmbeddings(texts: readonly string[], dim: number = LOCAL_EMBEDDING_DIM): Float32Array[] {
  const out = new Array<Float32Array>(texts.length);
  for (let i = 0; i < texts.length; i++) out[i] = hashedEmbedding(texts[i], dim);
  return out;
}

/** Cosine similarity of two vectors of the same length (dot product when both are unit). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The local embedder as an object: what memory stores and the `local` model provider take. */
export const localEmbedder = {
  model: LOCAL_EMBEDDING_MODEL,
  dim: LOCAL_EMBEDDING_DIM,
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return hashedEmbeddings(texts, LOCAL_EMBEDDING_DIM);
  },
};
