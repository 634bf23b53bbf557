#!/usr/bin/env node
// `npm run dev`: the same Worker as `npm start` (lean path, /docs, demo pages, local D1/R2 under
// .wrangler/state), rebuilt on every source change. wrangler dev watches what it bundles
// (worker/index.ts, lib/, OpenNext's output) and reloads the Worker by itself, keeping local
// state; this script re-runs the OpenNext build when anything the build stamp covers changes
// (app/, lib/, worker/, public/, drizzle/, config files), so pages and Next-only routes follow too.
import { spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { SOURCES } from "./build-stamp.mjs";
import { buildIfNeeded, migrateLocal, populateCacheIfNeeded, prepareLocal, wranglerDevArgs } from "./prepare-local.mjs";
import { bin, root } from "./toolchain.mjs";

let building = false;

// The OpenNext build empties .open-next/assets before writing it again, so wrangler serves the
// pages from a copy that is swapped in only after a successful build: they never 404 mid-build.
const ASSETS = join(".wrangler", "dev-assets");
function copyAssets() {
  const [dir, next, old] = [ASSETS, `${ASSETS}.next`, `${ASSETS}.old`].map((p) => join(root, p));
  rmSync(next, { recursive: true, force: true });
  cpSync(join(root, ".open-next", "assets"), next, { recursive: true });
  // Two renames: the directory is missing for microseconds, not for a whole delete.
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(next, dir);
  rmSync(old, { recursive: true, force: true });
}

await prepareLocal();
copyAssets();
const server = spawn(bin("wrangler"), wranglerDevArgs(process.env.PORT || "8787", ["--assets", ASSETS, ...process.argv.slice(2)]), {
  cwd: root,
  stdio: ["inherit", "pipe", "pipe"],
});
server.on("exit", (code) => process.exit(code ?? 1));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));

// While the OpenNext build rewrites .open-next/, wrangler's watcher tries to rebundle the Worker
// and fails ("Could not resolve ../.open-next/…") until the build is done, then reloads cleanly.
// Those failures are expected, so during a build only wrangler's request and status lines
// ("[wrangler:…]") are shown.
for (const [from, to] of [
  [server.stdout, process.stdout],
  [server.stderr, process.stderr],
]) {
  let rest = "";
  from.setEncoding("utf8");
  from.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop();
    for (const line of lines) if (!building || line.includes("[wrangler:")) to.write(`${line}\n`);
  });
}

let again = false;
let timer;

/** One rebuild at a time; changes made during a build start one more after it. */
async function rebuild() {
  if (building) {
    again = true;
    return;
  }
  building = true;
  const started = Date.now();
  console.log("[dev] a source changed: rebuilding (wrangler's reload attempts meanwhile are hidden).");
  try {
    await buildIfNeeded();
    await migrateLocal();
    await populateCacheIfNeeded();
    copyAssets();
    console.log(`[dev] rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s; wrangler reloads the Worker.`);
  } catch (err) {
    console.error(`[dev] build failed (the server keeps the last good build): ${err.message}`);
  } finally {
    building = false;
    if (again) {
      again = false;
      void rebuild();
    }
  }
}

// Polls the sources' modification times once a second rather than using fs.watch: editors and
// git save by replacing files, and Node's recursive watcher on Linux loses a file once it has been
// replaced (an edit was seen, the next one not). A stat of the ~150 source files costs nothing.
// The build writes worker/routes.generated.ts itself: that alone never calls for another build.
function snapshot() {
  const seen = [];
  const walk = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return; // a source that does not exist in this checkout
    }
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (!path.endsWith("routes.generated.ts")) seen.push(`${path}:${stat.mtimeMs}:${stat.size}`);
  };
  for (const source of SOURCES) walk(join(root, source));
  return seen.join("\n");
}
let last = snapshot();
setInterval(() => {
  const now = snapshot();
  if (now === last) return;
  last = now;
  clearTimeout(timer);
  timer = setTimeout(rebuild, 300);
}, 1000);
console.log("[dev] watching the Worker's sources; an edit rebuilds and reloads it.");
