import { describe, expect, it } from "vitest";
import { ModelHub } from "../../runtime/models/hub.ts";
import { classify } from "../../runtime/models/local/classify.ts";
import { draft, fillTemplate } from "../../runtime/models/local/draft.ts";
import { LOCAL_EMBEDDING_DIM } from "../../runtime/models/local/embedding.ts";
import { extractBySchema } from "../../runtime/models/local/extract.ts";
import { extractFacts, summarize } from "../../runtime/models/local/summarize.ts";
import { keywords, splitSentences } from "../../runtime/models/local/text.ts";

const STUDIO = [
  "Fernweh Studio is a two-person design practice in Porto.",
  "It was founded in 2019 by Inês Duarte.",
  "The studio designs brand identities and packaging for small hotels and wineries.",
  "Hotel Azul, a boutique hotel in Lisbon, has been a client since 2021.",
  "Hotel Azul prefers muted coastal colours and serif typography for its brand identity.",
  "The weather in Porto was rainy last week.",
  "Brand identity projects at the studio start at 6,000 euros.",
].join(" ");

describe("local provider: summaries, keywords, facts", () => {
  it("keeps the most central sentences, in the text's order", () => {
    const summary = summarize(STUDIO, 2);
    const sentences = splitSentences(summary);
    expect(sentences).toHaveLength(2);
    expect(summary).not.toContain("weather");
    const order = sentences.map((s) => STUDIO.indexOf(s.text));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("is deterministic and never longer than asked", () => {
    expect(summarize(STUDIO, 3)).toBe(summarize(STUDIO, 3));
    expect(splitSentences(summarize(STUDIO, 1))).toHaveLength(1);
    expect(summarize("Just one sentence here.", 5)).toBe("Just one sentence here.");
  });

  it("does not split sentences at abbreviations or decimals", () => {
    expect(splitSentences("Dr. Smith paid 4.5 thousand. Then he left.").map((s) => s.text)).toEqual(["Dr. Smith paid 4.5 thousand.", "Then he left."]);
  });

  it("extracts keyword phrases", () => {
    const k = keywords(STUDIO, 6).map((p) => p.toLowerCase());
    expect(k.some((p) => p.includes("brand identit"))).toBe(true);
    expect(k.some((p) => p.includes("hotel azul"))).toBe(true);
  });

  it("condenses a conversation into standalone facts, without questions or chit-chat", () => {
    const chat = [
      "Ana: Hi!",
      "Ana: Could you send the new logo drafts by Friday?",
      "Ana: Our budget for the refresh is 8,000 euros.",
      "Ines: Thanks. I will send three logo directions by Friday.",
      "Ana: The board wants the green from the old logo kept in the new identity.",
    ].join("\n");
    const facts = extractFacts(chat, 5);
    expect(facts.some((f) => f.includes("8,000 euros"))).toBe(true);
    expect(facts.some((f) => f.includes("green from the old logo"))).toBe(true);
    expect(facts.every((f) => !f.endsWith("?") && !f.startsWith("Ana:"))).toBe(true);
    expect(facts).not.toContain("Hi!");
  });
});

describe("local provider: classification", () => {
  it("scores labels by their words and the built-in lexicon, with a confidence", () => {
    const r = classify("Invoice 2024-17 is overdue: please pay the remaining amount this week.", [{ label: "billing" }, { label: "support" }, { label: "sales" }]);
    expect(r.label).toBe("billing");
    expect(r.confidence).toBeGreaterThan(0.5);
    expect(r.confidence).toBeLessThanOrEqual(1);
  });

  it("uses label keywords and descriptions", () => {
    const labels = [
      { label: "print", keywords: ["paper", "press", "brochure"] },
      { label: "web", description: "websites, landing pages and online shops" },
    ];
    expect(classify("We need a new landing page for the online shop.", labels).label).toBe("web");
    expect(classify("Can you prepare the brochure for the press?", labels).label).toBe("print");
  });

  it("has low confidence when nothing speaks for any label", () => {
    const r = classify("zzz qqq", [{ label: "alpha" }, { label: "beta" }]);
    expect(r.label).toBe("alpha");
    expect(r.confidence).toBeCloseTo(0.5, 5);
  });
});

describe("local provider: extraction by patterns", () => {
  const schema = {
    type: "object",
    properties: {
      client: { type: "string" },
      email: { type: "string", format: "email" },
      phone: { type: "string" },
      website: { type: "string", format: "uri" },
      budget: { type: "number" },
      deadline: { type: "string", format: "date" },
      status: { enum: ["draft", "approved", "rejected"] },
      rush: { type: "boolean" },
      services: { type: "array", items: { type: "string" } },
    },
    required: ["client", "email"],
  };

  it("finds labelled values, formats and enums", () => {
    const text = [
      "New brief from Hotel Azul.",
      "Client: Hotel Azul",
      "Contact ana@hotelazul.pt or +351 912 345 678, site https://hotelazul.pt.",
      "The budget is $7,500 and the deadline is March 3rd, 2026.",
      "Rush: yes",
      "Services: logo, signage and menus",
      "The proposal was approved yesterday.",
    ].join("\n");
    const { value, missing } = extractBySchema(text, schema);
    expect(missing).toEqual([]);
    expect(value).toEqual({
      client: "Hotel Azul",
      email: "ana@hotelazul.pt",
      phone: "+351 912 345 678",
      website: "https://hotelazul.pt",
      budget: 7500,
      deadline: "2026-03-03",
      status: "approved",
      rush: true,
      services: ["logo", "signage", "menus"],
    });
  });

  it("reports required properties it cannot find", () => {
    const { value, missing } = extractBySchema("Nothing useful here.", schema);
    expect(missing).toEqual(["client", "email"]);
    expect(value).toEqual({});
  });
});

describe("local provider: templated drafting", () => {
  it("fills slots from the context, with fallbacks, and names what is missing", () => {
    const ctx = { client: { name: "Hotel Azul" }, items: [{ text: "Prefers serif type." }] };
    expect(fillTemplate("Dear {client.name}: {items[0].text} Budget: {budget|to be agreed}. {signature}", ctx)).toEqual({
      text: "Dear Hotel Azul: Prefers serif type. Budget: to be agreed. [signature]",
      missing: ["signature"],
    });
  });

  it("drafts from the context sentences most relevant to the prompt", () => {
    const out = draft("What colours and typography does Hotel Azul prefer?", { context: [{ text: STUDIO }], maxSentences: 1 });
    expect(out.text).toBe("Hotel Azul prefers muted coastal colours and serif typography for its brand identity.");
  });
});

describe("local provider through the hub", () => {
  it("answers every tier by default, labelled local, at zero cost with estimated tokens", async () => {
    const hub = new ModelHub();
    const traces: Array<{ kind: string; data: Record<string, unknown> }> = [];
    const r = await hub.chat({ messages: [{ role: "user", content: STUDIO }], tier: "large", intent: { kind: "summarize", text: STUDIO, maxSentences: 1 } }, { trace: (kind, data) => traces.push({ kind, data }) });
    expect(r).toMatchObject({ provider: "local", tier: "large", costUsd: 0, cached: false, usage: { estimated: true } });
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(traces).toEqual([{ kind: "model.call", data: expect.objectContaining({ provider: "local", providerType: "local", costUsd: 0, cached: false, tokensEstimated: true }) }]);
  });

  it("embeds deterministically with the hashed embedder, in batches", async () => {
    const hub = new ModelHub();
    const texts = Array.from({ length: 130 }, (_, i) => `note number ${i} about invoices`);
    const a = await hub.embed({ texts });
    const b = await hub.embed({ texts: [texts[5]] });
    expect(a.vectors).toHaveLength(130);
    expect(a.dim).toBe(LOCAL_EMBEDDING_DIM);
    expect(a.provider).toBe("local");
    expect(Array.from(a.vectors[5])).toEqual(Array.from(b.vectors[0]));
  });

  it("fails a structured request it cannot satisfy with a clear error, without retrying", async () => {
    const hub = new ModelHub();
    const schema = { type: "object", properties: { email: { type: "string", format: "email" } }, required: ["email"] };
    await expect(hub.chat({ messages: [{ role: "user", content: "no address here" }], schema, intent: { kind: "extract", text: "no address here" } })).rejects.toMatchObject({
      code: "NODE_FAILED",
      message: expect.stringContaining("email"),
    });
  });
});
