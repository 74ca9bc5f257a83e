/**
 * Structured extraction by patterns, driven by a JSON Schema: for each property, a labelled
 * value ("Due date: March 3, 2026", "budget is $5,000") is looked for first, then a value of the
 * property's type or format anywhere in the text (emails, URLs, phones, dates, amounts, enum
 * values). What cannot be found is left out; the caller's schema check says what is missing.
 */
import type { JsonSchema } from "../types.ts";
import { extractFacts } from "./summarize.ts";

const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
const URL_RE = /\bhttps?:\/\/[^\s<>()"']+[^\s<>()"'.,;:!?]/g;
const PHONE = /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){2,4}/g;
const MONEY = /(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?\s?[kKmM]?\b|\b\d[\d,]*(?:\.\d+)?\s?[kKmM]?\s?(?:usd|eur|gbp|dollars?|euros?|pounds?)\b)/gi;
const NUMBER = /-?\d[\d,]*(?:\.\d+)?\s?[kKmM%]?(?![\w])/g;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const DATE_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => string | undefined]> = [
  [/\b(\d{4})-(\d{2})-(\d{2})\b/, (m) => `${m[1]}-${m[2]}-${m[3]}`],
  [new RegExp(`\\b${MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, "i"), (m) => iso(m[3], m[1], m[2])],
  [new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}\\.?,?\\s+(\\d{4})\\b`, "i"), (m) => iso(m[3], m[2], m[1])],
];

const FACT_LISTS = /^(facts?|points?|items?|highlights?|sentences?|notes?|takeaways?|bullets?|summary)$/i;

/** What the extraction found, and which required properties it could not find. */
export interface LocalExtraction {
  value: unknown;
  missing: string[];
}

/** Extracts a value shaped like `schema` from `text`. */
export function extractBySchema(text: string, schema: JsonSchema): LocalExtraction {
  const missing: string[] = [];
  const value = extractValue(text, schema, "", missing, 0);
  return { value: value ?? {}, missing };
}

function extractValue(text: string, schema: JsonSchema, name: string, missing: string[], depth: number): unknown {
  const type = typeOf(schema);
  if (type === "object") {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(props)) {
      const v = depth < 4 ? extractValue(text, sub, key, missing, depth + 1) : undefined;
      if (v !== undefined) out[key] = v;
      else if (required.has(key)) missing.push(name ? `${name}.${key}` : key);
    }
    return out;
  }
  const labelled = name ? labelledValue(text, name, schema) : undefined;
  if (type === "array") return extractArray(text, labelled, name, schema);
  if (Array.isArray(schema.enum)) return findEnum(labelled ?? "", schema.enum) ?? findEnum(text, schema.enum);
  if (type === "boolean") return labelled === undefined ? undefined : toBoolean(labelled);
  if (type === "number" || type === "integer") {
    const n = numberFrom(labelled) ?? numberByHint(text, name);
    return n === undefined ? undefined : type === "integer" ? Math.round(n) : n;
  }
  return stringValue(text, labelled, name, schema);
}

function typeOf(schema: JsonSchema): string | undefined {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== "null") as string | undefined;
  if (typeof t === "string") return t;
  if (schema.properties) return "object";
  if (Array.isArray(schema.enum)) return typeof schema.enum[0];
  return undefined;
}

/** Words a property may be labelled with in text: its name split, its title. */
function aliases(name: string, schema: JsonSchema): string[] {
  const split = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase().trim();
  const out = new Set([split]);
  if (typeof schema.title === "string") out.add(schema.title.toLowerCase());
  return [...out].filter(Boolean);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** "Label: value" on a line, or "label is value" inline. */
function labelledValue(text: string, name: string, schema: JsonSchema): string | undefined {
  for (const alias of aliases(name, schema)) {
    const label = alias.split(" ").map(escape).join("[\\s_-]?");
    const line = new RegExp(`^[\\s>*•-]*(?:the\\s+)?${label}\\s*(?:\\([^)]*\\))?\\s*[:=]\\s*(.+)$`, "im").exec(text);
    if (line) return clean(line[1]);
    const inline = new RegExp(`\\b${label}\\s*(?:is|are|was|of|:|=|will be|would be)\\s+([^\\n;]+?)(?:[.;](?:\\s|$)|\\n|$)`, "i").exec(text);
    if (inline) return clean(inline[1]);
  }
  return undefined;
}

function clean(v: string): string {
  return v.trim().replace(/^["'“‘]|["'”’]$/g, "").replace(/[.,;]+$/, "").trim();
}

function findEnum(text: string, values: unknown[]): unknown {
  let best: { v: unknown; at: number } | undefined;
  for (const v of values) {
    if (typeof v !== "string") continue;
    const m = new RegExp(`(?<![\\p{L}\\p{N}])${escape(v)}(?![\\p{L}\\p{N}])`, "iu").exec(text);
    if (m && (!best || m.index < best.at)) best = { v, at: m.index };
  }
  return best?.v;
}

function toBoolean(v: string): boolean | undefined {
  if (/^(yes|y|true|1|on|✓|✔|agreed|confirmed|signed)\b/i.test(v)) return true;
  if (/^(no|n|false|0|off|✗|not)\b/i.test(v)) return false;
  return undefined;
}

/** Reads "$5,000", "5k", "12.5%", "1,200 EUR" as a number. */
export function numberFrom(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const m = /(-?\d[\d,]*(?:\.\d+)?)\s?([kKmM])?/.exec(raw);
  if (!m) return undefined;
  let n = Number(m[1].replace(/,/g, ""));
  if (m[2]) n *= m[2].toLowerCase() === "k" ? 1e3 : 1e6;
  return Number.isFinite(n) ? n : undefined;
}

function numberByHint(text: string, name: string): number | undefined {
  if (/amount|price|total|budget|cost|fee|value|revenue|salary|rate/i.test(name)) {
    const money = text.match(MONEY);
    if (money) return numberFrom(money[0]);
  }
  if (/percent|pct|ratio|discount/i.test(name)) {
    const pct = /(-?\d+(?:\.\d+)?)\s?%/.exec(text);
    if (pct) return Number(pct[1]);
  }
  // a number shortly after the property's words: "3 weeks" for "weeks", "hours: 12"
  const words = name.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split(/[\s_-]+/).filter((w) => w.length > 2);
  for (const w of words) {
    const near = new RegExp(`\\b${escape(w)}\\w*\\W{1,3}(-?\\d[\\d,]*(?:\\.\\d+)?)|(-?\\d[\\d,]*(?:\\.\\d+)?)\\s+${escape(w)}`, "i").exec(text);
    if (near) return numberFrom(near[1] ?? near[2]);
  }
  return undefined;
}

function stringValue(text: string, labelled: string | undefined, name: string, schema: JsonSchema): string | undefined {
  const format = typeof schema.format === "string" ? schema.format : "";
  const hint = `${format} ${name}`.toLowerCase();
  if (/email/.test(hint)) return first(labelled, EMAIL) ?? first(text, EMAIL);
  if (/uri|url|website|link|homepage/.test(hint)) return first(labelled, URL_RE) ?? first(text, URL_RE);
  if (/phone|mobile|tel/.test(hint)) return first(labelled, PHONE) ?? first(text, PHONE);
  if (/date|deadline|due|when|day/.test(hint)) {
    const d = dateIn(labelled) ?? dateIn(text);
    if (d || format.startsWith("date")) return d;
  }
  if (labelled) return labelled;
  if (/name|client|company|customer|person|contact|organi[sz]ation/i.test(name)) {
    const m = /\b(?:client|company|customer|from|for|with|contact|name)\s*(?:is|:)?\s+((?:[A-Z][\w&.'-]*)(?:\s+(?:[A-Z][\w&.'-]*|&)){0,3})/.exec(text);
    if (m) return m[1].replace(/[.,]$/, "");
  }
  return undefined;
}

function first(text: string | undefined, re: RegExp): string | undefined {
  if (!text) return undefined;
  re.lastIndex = 0;
  return text.match(re)?.[0]?.trim();
}

function dateIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const [re, toIso] of DATE_PATTERNS) {
    const m = re.exec(text);
    if (m) return toIso(m);
  }
  return undefined;
}

function iso(year: string, month: string, day: string): string | undefined {
  const mi = MONTHS.indexOf(month.slice(0, 3).toLowerCase());
  const d = Number(day);
  if (mi < 0 || d < 1 || d > 31) return undefined;
  return `${year}-${String(mi + 1).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function extractArray(text: string, labelled: string | undefined, name: string, schema: JsonSchema): unknown[] | undefined {
  const items = (schema.items ?? {}) as JsonSchema;
  const itemType = typeOf(items) ?? "string";
  if (itemType === "number" || itemType === "integer") {
    const nums = (labelled ?? text).match(NUMBER)?.map((n) => numberFrom(n)!).filter((n) => n !== undefined);
    return nums?.length ? nums.map((n) => (itemType === "integer" ? Math.round(n) : n)) : undefined;
  }
  if (itemType !== "string") return undefined;
  const hint = `${typeof items.format === "string" ? items.format : ""} ${name}`.toLowerCase();
  if (/email/.test(hint)) return unique(text.match(EMAIL));
  if (/uri|url|link/.test(hint)) return unique(text.match(URL_RE));
  if (/phone/.test(hint)) return unique(text.match(PHONE)?.map((p) => p.trim()));
  if (Array.isArray(items.enum)) {
    const found = items.enum.filter((v) => typeof v === "string" && new RegExp(`\\b${escape(v)}\\b`, "i").test(text));
    return found.length ? found : undefined;
  }
  if (labelled) return unique(labelled.split(/\s*(?:,|;|\band\b)\s*/).map(clean).filter(Boolean));
  if (FACT_LISTS.test(name) || !name) {
    const facts = extractFacts(text, typeof schema.maxItems === "number" ? schema.maxItems : 8);
    return facts.length ? facts : undefined;
  }
  return undefined;
}

function unique(values: string[] | undefined | null): string[] | undefined {
  if (!values?.length) return undefined;
  return [...new Set(values)];
}
