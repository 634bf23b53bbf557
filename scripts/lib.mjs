// Helpers shared by the npm scripts (they run on the pinned Node 24 via npm).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

/** Nothing may reach the internet: no telemetry, no Request.cf fetch. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  NEXT_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
Object.assign(process.env, OFFLINE_ENV);

export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: process.env, ...opts });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? signal}`)),
    );
  });
}

/** npm-installed binaries, run on the Node that runs this script (the pinned Node 24). */
export const bin = (name) => join(root, "node_modules", ".bin", name);

const SOURCES = ["app", "lib", "public", "drizzle", "worker", "next.config.ts", "open-next.config.ts", "wrangler.toml", "tsconfig.json", "package-lock.json", "scripts/build-worker.mjs", "scripts/drop-build-placeholders.mjs"];

function walk(path, out) {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  } else out.push(path);
}

/** A hash of everything the Worker bundle is built from: `npm start` rebuilds when it changes. */
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
