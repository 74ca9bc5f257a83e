/**
 * The built-in `local` provider: no network, no weights, deterministic. It does each task by
 * its intent (summarize, classify, extract, draft, facts); a plain chat is a draft, or an
 * extraction when a schema is asked for. Token counts are estimates; cost is zero.
 */
import { LOCAL_PROVIDER } from "../settings.ts";
import type { ModelProvider, ProviderChatRequest, ProviderChatResponse, ProviderEmbedRequest, ProviderEmbedResponse } from "../provider.ts";
import { ProviderFailure } from "../provider.ts";
import type { ChatIntent } from "../types.ts";
import { classify } from "./classify.ts";
import { draft } from "./draft.ts";
import { hashedEmbeddings, LOCAL_EMBEDDING_DIM, LOCAL_EMBEDDING_MODEL } from "./embedding.ts";
import { extractBySchema } from "./extract.ts";
import { extractFacts, summarize } from "./summarize.ts";

/** The local provider (one instance serves every call). */
export function localProvider(): ModelProvider {
  return {
    name: LOCAL_PROVIDER,
    type: "local",
    // no token counts: the router estimates them and marks them estimated
    async chat(req) {
      return answer(req);
    },
    async embed(req: ProviderEmbedRequest): Promise<ProviderEmbedResponse> {
      if (req.model !== LOCAL_EMBEDDING_MODEL) {
        throw new ProviderFailure(LOCAL_PROVIDER, "rejected", `no embedding model "${req.model}" (the local one is "${LOCAL_EMBEDDING_MODEL}", ${LOCAL_EMBEDDING_DIM} dimensions)`);
      }
      return { vectors: hashedEmbeddings(req.texts) };
    },
  };
}

function answer(req: ProviderChatRequest): ProviderChatResponse {
  const intent: ChatIntent = req.intent ?? implicitIntent(req);
  switch (intent.kind) {
    case "summarize":
      return { text: summarize(intent.text, intent.maxSentences ?? 3) };
    case "classify": {
      const c = classify(intent.text, intent.labels);
      return { text: c.label, value: { label: c.label, confidence: c.confidence }, confidence: c.confidence };
    }
    case "facts": {
      const facts = extractFacts(intent.text, intent.maxFacts ?? 8);
      return { text: facts.join("\n"), value: { facts } };
    }
    case "extract": {
      const { value } = extractBySchema(intent.text, req.schema ?? { type: "object" });
      return { text: JSON.stringify(value), value };
    }
    case "draft": {
      if (req.schema) {
        const { value } = extractBySchema(`${intent.prompt}\n${JSON.stringify(intent.context ?? "")}`, req.schema);
        return { text: JSON.stringify(value), value };
      }
      return { text: draft(intent.prompt, { context: intent.context, template: intent.template }).text };
    }
  }
}

/** A chat with no intent: the last user message is the prompt, the rest is context. */
function implicitIntent(req: ProviderChatRequest): ChatIntent {
  const users = req.messages.filter((m) => m.role === "user");
  const prompt = users.at(-1)?.content ?? "";
  if (req.schema) return { kind: "extract", text: req.messages.filter((m) => m.role !== "system").map((m) => m.content).join("\n") };
  const context = req.messages.filter((m) => m.role === "assistant" || (m.role === "user" && m.content !== prompt)).map((m) => m.content);
  return { kind: "draft", prompt, context: context.length ? context.join("\n") : undefined };
}
