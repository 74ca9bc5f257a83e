/**
 * Builds the browser editor into editor/dist (served by `keel start`). For work on the editor,
 * `npx vite --config editor/vite.config.ts` serves it with hot reload on 127.0.0.1:5173, proxying
 * the API to a running Keel (KEEL_URL, default http://127.0.0.1:5757; start Keel with
 * `--name 127.0.0.1:5173`) and putting Keel's token in the page as Keel itself does.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const keelUrl = process.env.KEEL_URL ?? "http://127.0.0.1:5757";

/** Dev server only: the token from KEEL_TOKEN or <data>/token (KEEL_DATA, default ./.keel). */
function devToken(): Plugin {
  return {
    name: "keel-dev-token",
    apply: "serve",
    transformIndexHtml(html) {
      const file = path.resolve(process.env.KEEL_DATA ?? ".keel", "token");
      const token = process.env.KEEL_TOKEN ?? (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "");
      return html.replace(/<head>/i, `<head>\n    <meta name="keel-token" content="${token.replace(/[^A-Za-z0-9._~-]/g, "")}">`);
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  plugins: [react(), devToken()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: { "/api": { target: keelUrl, ws: true } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 800,
  },
});
