/**
 * Templated drafting: a template's `{slot}` placeholders are filled from the context
 * (`{client.name}`, `{items[0].text}`, `{budget|to be agreed}` with a fallback). Without a
 * template, the draft is the context's sentences most relevant to the prompt, in order.
 */
import { rankSentences } from "./summarize.ts";
import { textOf } from "./text.ts";

const SLOT = /\{([A-Za-z_][\w]*(?:(?:\.[A-Za-z_]\w*)|(?:\[\d+\]))*)(?:\|([^{}]*))?\}/g;

/** A filled template and the slots the context had no value for. */
export interface FilledTemplate {
  text: string;
  missing: string[];
}

/** Fills `{path}` slots from `context`; a slot with no value and no fallback becomes `[path]`. */
export function fillTemplate(template: string, context: unknown): FilledTemplate {
  const missing: string[] = [];
  const text = template.replace(SLOT, (_whole, path: string, fallback: string | undefined) => {
    const v = lookup(context, path);
    if (v === undefined || v === null || v === "") {
      if (fallback !== undefined) return fallback;
      missing.push(path);
      return `[${path}]`;
    }
    return typeof v === "string" ? v : typeof v === "object" ? textOf(v).replace(/\n/g, "; ") : String(v);
  });
  return { text, missing };
}

function lookup(context: unknown, path: string): unknown {
  let v: unknown = context;
  for (const part of path.match(/[A-Za-z_]\w*|\d+/g) ?? []) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A draft for `prompt`: the template filled from the context, or the most relevant context sentences. */
export function draft(prompt: string, options: { context?: unknown; template?: string; maxSentences?: number } = {}): FilledTemplate {
  if (options.template) return fillTemplate(options.template, options.context ?? {});
  const [instruction, ...rest] = prompt.split(/(?<=[.!?:])\s+|\n/);
  // the material is the context; without one, whatever the prompt carries after its instruction
  const material = textOf(options.context) || rest.join(" ");
  if (!material.trim()) return { text: prompt.trim(), missing: [] };
  const picked = rankSentences(material, { focus: instruction })
    .slice(0, options.maxSentences ?? 3)
    .sort((a, b) => a.index - b.index);
  return { text: picked.map((s) => s.text).join(" "), missing: [] };
}
