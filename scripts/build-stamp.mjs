// The build stamp: a hash of everything the Worker bundle is built from, written next to dist/
// by scripts/build-worker.mjs, so `npm start`, `npm run dev`, `npm test` and `npm run bench`
// rebuild only when a source changed (or the bundle is missing).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { root as repoRoot } from "./toolchain.mjs";

/** What the bundle is built from: directories are walked, files read as they are. */
export const SOURCES = [
  "app",
  "lib",
  "public",
  "drizzle",
  "worker",
  "next.config.ts",
  "open-next.config.ts",
  "wrangler.toml",
  "tsconfig.json",
  "package-lock.json",
  "scripts/build-worker.mjs",
  "scripts/drop-build-placeholders.mjs",
  "scripts/vendor-assets.mjs",
];

function walk(path, out) {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  } else out.push(path);
}

export function sourceHash(root = repoRoot) {
  const files = [];
  for (const s of SOURCES) walk(join(root, s), files);
  const hash = createHash("sha256");
  for (const f of files) hash.update(f.slice(root.length)).update("\0").update(readFileSync(f)).update("\0");
  return hash.digest("hex");
}

export const stampFile = (root = repoRoot) => join(root, "dist", ".source-hash");

/**
 * The bundle `wrangler deploy --dry-run --outdir dist` writes: named after wrangler.toml's
 * `main` (worker/index.ts → dist/index.js), so it is read from there rather than assumed.
 */
export function bundleFile(root = repoRoot) {
  const main = /^main\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1];
  if (!main) throw new Error("wrangler.toml has no `main`");
  return join(root, "dist", `${basename(main, extname(main))}.js`);
}

/** Why dist/ must be rebuilt, or null when it was built from the current sources. */
export function staleReason(root = repoRoot) {
  if (!existsSync(bundleFile(root))) return `${bundleFile(root).slice(root.length)} is missing`;
  if (!existsSync(stampFile(root))) return "dist/ has no build stamp";
  if (readFileSync(stampFile(root), "utf8") !== sourceHash(root)) return "a source changed since the last build";
  return null;
}

export const isBuildCurrent = (root = repoRoot) => staleReason(root) === null;
