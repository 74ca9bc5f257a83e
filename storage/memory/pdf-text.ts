/**
 * The text of a PDF, for ingest: pdf.js reads the text layer page by page (nothing is rendered),
 * lines end where pdf.js says a line ends, and pages are separated by a blank line so the
 * chunker treats them as paragraphs. A scanned PDF has no text layer: it yields "".
 */
import { ValidationError } from "../../runtime/errors.ts";

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");
let loading: Promise<PdfJs> | undefined;

/** Extracts the text of a PDF; a file that is not a readable PDF is a ValidationError naming why. */
export async function pdfText(data: Uint8Array, name: string): Promise<string> {
  // loaded on the first PDF only: most ingests have none, and pdf.js is large
  const pdfjs = await (loading ??= import("pdfjs-dist/legacy/build/pdf.mjs"));
  let doc: Awaited<ReturnType<PdfJs["getDocument"]>["promise"]>;
  try {
    // a copy: pdf.js takes ownership of (detaches) the buffer it is given
    doc = await pdfjs.getDocument({ data: new Uint8Array(data), isEvalSupported: false, useSystemFonts: false, disableFontFace: true, verbosity: 0 }).promise;
  } catch (e) {
    throw new ValidationError(`${name}: not a readable PDF (${(e as Error).message})`);
  }
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = "";
      for (const item of content.items) {
        if (!("str" in item)) continue;
        // pdf.js splits a line into runs; put a space between runs unless one side has it
        if (text && !/\s$/.test(text) && item.str && !/^\s/.test(item.str)) text += " ";
        text += item.str;
        if (item.hasEOL) text += "\n";
      }
      pages.push(text.replace(/[ \t]+\n/g, "\n").trim());
      page.cleanup();
    }
    return pages.filter(Boolean).join("\n\n");
  } finally {
    await doc.destroy();
  }
}
