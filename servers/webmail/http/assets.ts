/**
 * The browser side: client/*.ts bundled by esbuild into memory once at start, the stylesheet,
 * and the one HTML page (no inline script or style: the CSP forbids both).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { send } from "./respond.ts";
import type { Route } from "./route.ts";

const CLIENT_DIR = join(import.meta.dirname, "..", "client");

export interface Assets {
  readonly script: string;
  readonly style: string;
  readonly page: string;
}

export async function buildAssets(title: string): Promise<Assets> {
  const result = await build({
    entryPoints: [join(CLIENT_DIR, "main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    minify: true,
    sourcemap: false,
    target: ["chrome110", "firefox110", "safari16"],
    logLevel: "silent",
  });
  const script = result.outputFiles[0]?.text ?? "";
  const style = await readFile(join(CLIENT_DIR, "style.css"), "utf8");
  // The version in the URLs lets the files be cached for good and still change with a new build.
  const version = createHash("sha256").update(script).update(style).digest("hex").slice(0, 12);
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/app.css?v=${version}">
<script type="module" src="/app.js?v=${version}"></script>
</head>
<body>
<div id="app" aria-live="polite"><noscript>The webmail needs JavaScript.</noscript></div>
</body>
</html>
`;
  return { script, style, page };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function assetRoutes(assets: Assets): Route[] {
  const serve = (path: RegExp, body: string, type: string, cache: string): Route => ({
    method: "GET",
    path,
    access: "public",
    sameOrigin: false,
    async handle({ res }) {
      await Promise.resolve();
      send(res, 200, body, { "Content-Type": type, "Cache-Control": cache });
    },
  });
  return [
    serve(/^\/$/, assets.page, "text/html; charset=utf-8", "no-store"),
    serve(
      /^\/app\.js$/,
      assets.script,
      "text/javascript; charset=utf-8",
      "max-age=31536000, immutable",
    ),
    serve(/^\/app\.css$/, assets.style, "text/css; charset=utf-8", "max-age=31536000, immutable"),
  ];
}
