/**
 * The model interface every node reaches through `ctx.models`: one `chat` and one `embed`,
 * whatever provider answers. Nodes ask for a tier; settings map tiers to providers.
 */

/** Model tiers, smallest (cheapest) first. */
export const TIERS = ["small", "mid", "large"] as const;
/** A model tier: nodes ask for one of these, not for a vendor. */
export type Tier = (typeof TIERS)[number];

/** A JSON Schema (draft 2020-12 subset) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A label to classify into, with optional words that speak for it. */
export interface LabelSpec {
  label: string;
  description?: string;
  keywords?: string[];
}

/**
 * What a call is for. Remote providers read the messages only; the built-in `local` provider,
 * which has no language model, uses the intent to do the task without parsing the prompt.
 * A chat without an intent is answered by `local` as a draft (or, with a schema, an extraction).
 */
export type ChatIntent =
  | { kind: "summarize"; text: string; maxSentences?: number }
  | { kind: "classify"; text: string; labels: LabelSpec[] }
  | { kind: "extract"; text: string }
  | { kind: "draft"; prompt: string; context?: unknown; template?: string }
  /** Short standalone facts from a long text or a conversation (memory condensation). */
  | { kind: "facts"; text: string; maxFacts?: number };

/** A chat request. Either `tier` (default "mid") or an explicit `model` ("provider/model"). */
export interface ChatRequest {
  messages: ChatMessage[];
  tier?: Tier;
  /** "provider/model", e.g. "openai/gpt-4o-mini": bypasses the tiers (no fallback). */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Structured output: the answer must be JSON valid against this schema (`value` holds it). */
  schema?: JsonSchema;
  schemaName?: string;
  signal?: AbortSignal;
  /** Answer identical requests from the persisted cache (default true). */
  cache?: boolean;
  /** When every provider of the tier fails or the budget forbids it, try the next smaller tier (default true). */
  degrade?: boolean;
  intent?: ChatIntent;
  /** Streams the answer: called with each piece of text as it arrives. */
  onText?: (delta: string) => void;
  /** Ask for token log-probabilities, so that `confidence` can be computed (where the provider gives them). */
  logprobs?: boolean;
}

/** Tokens of one call, as the provider reported them or estimated (about 4 characters a token). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
}

/** The answer to a chat, with what it cost and who gave it. */
export interface ChatResult {
  text: string;
  /** The parsed, schema-valid answer when the request had a schema. */
  value?: unknown;
  /** 0..1, when the provider gives one (local scores, token log-probabilities). */
  confidence?: number;
  provider: string;
  model: string;
  /** The tier that answered (absent for an explicit model). */
  tier?: Tier;
  /** Set when a smaller tier answered than the one asked for. */
  degradedFrom?: Tier;
  usage: TokenUsage;
  costUsd: number;
  cached: boolean;
  latencyMs: number;
}

/** Texts to embed; sent to the provider in batches. */
export interface EmbedRequest {
  texts: string[];
  signal?: AbortSignal;
}

/** One vector per text, in order, all of dimension `dim`. */
export interface EmbedResult {
  vectors: Float32Array[];
  dim: number;
  provider: string;
  model: string;
  usage: TokenUsage;
  costUsd: number;
  latencyMs: number;
}

/** Generative models and embeddings: the door a node reaches them through. */
export interface ModelsDoor {
  chat(request: ChatRequest): Promise<ChatResult>;
  embed(request: EmbedRequest): Promise<EmbedResult>;
}

/** A flow's spending limits for model calls (the flow document's `budget`). */
export interface ModelBudget {
  maxCostUsd?: number;
  maxTokens?: number;
}

/** What a run has spent on models so far: cost, and tokens billed by non-local providers. */
export interface ModelSpend {
  costUsd: number;
  tokens: number;
}
