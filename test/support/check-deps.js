// The dependency rule of DESIGN.md, checked on every `npm test`: which part may import which,
// and no circular imports anywhere in our code.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const PARTS = ["editor", "runtime", "nodes", "server", "storage", "templates", "test"];
// part -> parts it may import (itself always allowed)
const ALLOWED = {
  runtime: [],
  nodes: ["runtime"],
  storage: ["runtime"],
  server: ["runtime", "nodes", "storage"],
  editor: ["runtime"], // type-only imports, checked below
  test: PARTS,
};
// packages a part must not import
const FORBIDDEN_PACKAGES = {
  runtime: ["express", "lowdb", "@lancedb/lancedb", "react", "react-dom", "@xyflow/react", "ws"],
  nodes: ["express", "lowdb", "@lancedb/lancedb", "react", "ws"],
  storage: ["express", "react"],
  editor: ["express", "lowdb", "@lancedb/lancedb", "isolated-vm", "jsonata"],
};

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const problems = [];
const graph = new Map();
const files = PARTS.filter((p) => fs.existsSync(path.join(root, p))).flatMap((p) => walk(path.join(root, p)));

for (const file of files) {
  const rel = path.relative(root, file);
  const part = rel.split(path.sep)[0];
  const text = fs.readFileSync(file, "utf8");
  const edges = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4];
    const typeOnly = Boolean(m[2]);
    if (spec.startsWith(".")) {
      const target = path.resolve(path.dirname(file), spec);
      const targetRel = path.relative(root, target);
      const targetPart = targetRel.split(path.sep)[0];
      if (targetPart !== part && PARTS.includes(targetPart) && !(ALLOWED[part] ?? []).includes(targetPart)) {
        problems.push(`${rel}: ${part}/ may not import ${targetPart}/ (${spec})`);
      }
      if (part === "editor" && targetPart === "runtime" && !typeOnly) {
        problems.push(`${rel}: the editor may import runtime types only (use "import type"): ${spec}`);
      }
      if (!typeOnly && fs.existsSync(target)) edges.push(target);
    } else {
      const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
      if ((FORBIDDEN_PACKAGES[part] ?? []).includes(pkg)) problems.push(`${rel}: ${part}/ may not import ${pkg}`);
    }
  }
  graph.set(file, edges);
}

// circular imports (value imports only: type imports vanish at run time)
const state = new Map();
const stack = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 1) {
      const cycle = stack.slice(stack.indexOf(next)).concat(next).map((f) => path.relative(root, f));
      problems.push(`circular import: ${cycle.join(" → ")}`);
    } else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (problems.length) {
  console.error(`dependency rule broken (${problems.length}):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.error(`dependency rule: ${files.length} files checked, no violations`);
