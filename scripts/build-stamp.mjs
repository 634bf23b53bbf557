// The build stamp: a hash of everything the Worker bundle is built from, written next to dist/
// by scripts/build-worker.mjs, so `npm start`, `npm test` and `npm run bench` rebuild only when
// a source changed.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { root } from "./toolchain.mjs";

const SOURCES = [
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

export function sourceHash() {
  const files = [];
  for (const s of SOURCES) walk(join(root, s), files);
  const hash = createHash("sha256");
  for (const f of files) hash.update(f.slice(root.length)).update("\0").update(readFileSync(f)).update("\0");
  return hash.digest("hex");
}

export const BUILD_STAMP = join(root, "dist", ".source-hash");

export function isBuildCurrent() {
  return existsSync(join(root, "dist", "worker.js")) && existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, "utf8") === sourceHash();
}
