import { describe, expect, it } from "vitest";
import {
  cosineSimilarity,
  embeddingTerms,
  hashedEmbedding,
  hashedEmbeddings,
  LOCAL_EMBEDDING_DIM,
  localEmbedder,
} from "../../runtime/models/local/embedding.ts";

describe("local hashed embedding", () => {
  it("is deterministic, unit length and of the fixed dimension", () => {
    const a = hashedEmbedding("Harbor Bakery prefers invoices on the first Monday.");
    const b = hashedEmbedding("Harbor Bakery prefers invoices on the first Monday.");
    expect(a.length).toBe(LOCAL_EMBEDDING_DIM);
    expect(Array.from(a)).toEqual(Array.from(b));
    const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  it("gives a zero vector for text without terms, and honours another dimension", () => {
    expect(Array.from(hashedEmbedding("the of and ...")).every((x) => x === 0)).toBe(true);
    expect(hashedEmbedding("logo", 64).length).toBe(64);
    expect(() => hashedEmbedding("logo", 0)).toThrow(/dimension/);
  });

  it("folds word variants and synonyms onto the same terms", () => {
    expect(new Set(embeddingTerms("invoice invoices invoiced invoicing billed"))).toEqual(new Set(["invoic"]));
    expect(embeddingTerms("Customers")).toEqual(embeddingTerms("client"));
  });

  it("puts a paraphrase closer than an unrelated sentence", () => {
    const query = hashedEmbedding("When does Harbor Bakery want to be billed?");
    const paraphrase = hashedEmbedding("Harbor Bakery prefers invoices on the first Monday of each month.");
    const unrelated = hashedEmbedding("Northwind Florists asked for a new logo with a green palette.");
    expect(cosineSimilarity(query, paraphrase)).toBeGreaterThan(0.4);
    expect(cosineSimilarity(query, paraphrase)).toBeGreaterThan(cosineSimilarity(query, unrelated) + 0.3);
  });

  it("embeds batches like single texts", async () => {
    const texts = ["muted colours", "a new website"];
    const batch = hashedEmbeddings(texts);
    expect(Array.from(batch[1])).toEqual(Array.from(hashedEmbedding(texts[1])));
    const viaObject = await localEmbedder.embed(texts);
    expect(Array.from(viaObject[0])).toEqual(Array.from(batch[0]));
    expect(localEmbedder.dim).toBe(LOCAL_EMBEDDING_DIM);
  });
});
