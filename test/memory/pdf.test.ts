/** Ingest of PDF files: their text layer is chunked and searchable like any note; unreadable or textless PDFs are skipped with a reason. */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LanceMemoryStore } from "../../storage/memory/store.ts";
import { hasStackTrace, keelCli } from "../cli/cli.ts";
import { tempDir } from "../support/keel.ts";
import { makePdf } from "../support/make-pdf.ts";

describe("ingesting PDFs", () => {
  const tmp = tempDir("keel-memory-pdf-");
  afterAll(() => tmp.cleanup());
  const docs = path.join(tmp.dir, "contracts");
  fs.mkdirSync(docs, { recursive: true });
  fs.writeFileSync(
    path.join(docs, "acme-msa.pdf"),
    makePdf([
      ["Master services agreement with Acme Corp.", "Invoices are payable within 45 days of receipt."],
      ["Either party may end the agreement with 60 days written notice.", "Renewal is due every March."],
    ]),
  );
  fs.writeFileSync(path.join(docs, "scan.pdf"), makePdf([[]])); // a page with a drawing and no text
  fs.writeFileSync(path.join(docs, "broken.pdf"), "this is not a PDF at all");
  fs.writeFileSync(path.join(docs, "notes.md"), "# Globex\n\nGlobex wants weekly status calls on Mondays.\n");

  it("chunks a PDF's text page by page, cites the file, and skips what has no text", async () => {
    const store = new LanceMemoryStore({ dir: path.join(tmp.dir, "memory") });
    try {
      const report = await store.ingest(docs, { collection: "contracts" });
      expect(report).toMatchObject({ files: 2, added: 2 });
      expect(report.skipped).toEqual([
        { file: "broken.pdf", reason: expect.stringMatching(/^not a readable PDF/) },
        { file: "scan.pdf", reason: "no text layer (a scanned PDF needs OCR first)" },
      ]);
      const [hit] = await store.search("how many days notice to end the agreement", { k: 1 });
      expect(hit.text).toContain("60 days written notice");
      expect(hit.source).toMatchObject({ kind: "file", file: "acme-msa.pdf" });
      const again = await store.ingest(docs, { collection: "contracts" });
      expect(again).toMatchObject({ unchanged: 2, chunksAdded: 0, chunksRemoved: 0 });
    } finally {
      await store.close();
    }
  });

  it("keel memory ingest reads PDFs and says what it skipped, with nothing from pdf.js", async () => {
    const data = path.join(tmp.dir, "data");
    const r = await keelCli(["memory", "ingest", docs, "--collection", "contracts", "-q", "--data", data]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 2, skipped: [{ file: "broken.pdf" }, { file: "scan.pdf" }] });
    // the CLI names what it skipped, and pdf.js adds nothing (no warnings, no font noise)
    expect(r.stderr).toBe("keel: skipped broken.pdf: not a readable PDF (Invalid PDF structure.)\nkeel: skipped scan.pdf: no text layer (a scanned PDF needs OCR first)\n");
    expect(hasStackTrace(r.stdout)).toBe(false);
  });
});
