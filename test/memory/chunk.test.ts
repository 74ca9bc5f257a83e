import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../storage/memory/chunk.ts";

describe("chunkDocument", () => {
  it("cuts along headings and carries the heading trail", () => {
    const chunks = chunkDocument("# Acme\n\nIntro.\n\n## Billing\n\nPays late.\n\n### Details\n\nPO needed.\n\n## Brand\n\nBlue.");
    expect(chunks.map((c) => c.heading)).toEqual(["Acme", "Acme > Billing", "Acme > Billing > Details", "Acme > Brand"]);
    expect(chunks[1].text).toBe("Acme > Billing\nPays late.");
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
  });

  it("ignores headings inside code fences and drops front matter", () => {
    const chunks = chunkDocument("---\ntitle: x\n---\n# Doc\n\n```\n# not a heading\n```\n\nAfter.");
    expect(chunks).toHaveLength(1);
    expect(chunks[0].text).toContain("# not a heading");
    expect(chunks[0].text).not.toContain("title: x");
  });

  it("packs paragraphs up to the limit, each chunk repeating the end of the one before", () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} says something about topic ${i}. It ends here ${i}.`);
    const chunks = chunkDocument(paragraphs.join("\n\n"), { maxChars: 200, overlapChars: 80 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(200);
    for (let i = 1; i < chunks.length; i++) {
      const prevLast = chunks[i - 1].text.split("\n\n").at(-1)!;
      expect(chunks[i].text.startsWith(prevLast)).toBe(true);
    }
    // nothing is lost
    for (const p of paragraphs) expect(chunks.some((c) => c.text.includes(p))).toBe(true);
  });

  it("splits an overlong paragraph at sentences, and an endless sentence at words", () => {
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} is here and it keeps going for a while.`).join(" ");
    const chunks = chunkDocument(sentences, { maxChars: 120, overlapChars: 40 });
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(120);
    expect(chunks.some((c) => c.text.startsWith("…"))).toBe(true);
    const words = chunkDocument("word ".repeat(200), { maxChars: 100 });
    for (const c of words) expect(c.text.length).toBeLessThanOrEqual(100);
  });

  it("returns nothing for an empty document", () => {
    expect(chunkDocument("\n\n   \n")).toEqual([]);
  });
});
