#!/usr/bin/env node
// `npm run dev`: the same Worker as `npm start` (lean path, /docs, demo pages, local D1/R2 under
// .wrangler/state), rebuilt on every source change. wrangler dev watches what it bundles
// (worker/index.ts, lib/, app/api/, a copy of OpenNext's output) and reloads the Worker by itself,
// keeping local state; this script re-runs the OpenNext build when anything the build stamp
// covers changes (app/, lib/, worker/, public/, drizzle/, config files) and swaps its output in,
// so pages and Next-only routes follow too. test/integration/readme-commands.test.ts runs it.
import { spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { SOURCES } from "./build-stamp.mjs";
import { buildIfNeeded, migrateLocal, populateCacheIfNeeded, prepareLocal, wranglerDevArgs } from "./prepare-local.mjs";
import { bin, root } from "./toolchain.mjs";

let building = false;

// wrangler bundles the Worker from a copy of OpenNext's output, never from .open-next itself: the
// OpenNext build deletes .open-next first and rewrites it for minutes, and wrangler holds every
// request while a rebundle fails (until one succeeds), so bundling from .open-next made the
// server hang for the whole length of a rebuild. The copy is swapped in after a successful build
// only: meanwhile the last good build stays served, and an edit to a route or lib/ is rebundled
// and served at once (the lean path is bundled from the sources).
const OUTPUT = join(root, ".open-next");
const SNAPSHOT = join(root, ".wrangler", "dev-open-next");
function snapshotBuild() {
  const [next, old] = [`${SNAPSHOT}.next`, `${SNAPSHOT}.old`];
  rmSync(next, { recursive: true, force: true });
  // .open-next/cache is what `populateCache` reads, not part of the Worker.
  cpSync(OUTPUT, next, { recursive: true, filter: (src) => src !== join(OUTPUT, "cache") });
  // Two renames: the directory is missing for microseconds, not for a whole delete.
  rmSync(old, { recursive: true, force: true });
  if (existsSync(SNAPSHOT)) renameSync(SNAPSHOT, old);
  renameSync(next, SNAPSHOT);
  rmSync(old, { recursive: true, force: true });
}

/**
 * wrangler.toml with an `[alias]` table pointing each `.open-next/…` import of a .ts file in
 * worker/ or a folder below (`../.open-next/…`, `../../.open-next/…`) at the same file of
 * the snapshot (wrangler matches the specifier as written; its `--alias` flag is ignored by
 * `wrangler dev`). Written next to wrangler.toml, so its relative paths resolve the same, and
 * git-ignored; rewritten only when it changes (wrangler reloads on a config change): at start,
 * as soon as wrangler.toml or worker/ changes (so an edited [vars] reaches the server without
 * waiting for a build), and after each build.
 */
const DEV_CONFIG = join(root, ".dev.wrangler.toml");
function writeDevConfig() {
  const dir = join(root, "worker");
  const aliases = new Map();
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((n) => n.endsWith(".ts"))) {
    const file = join(dir, name);
    for (const m of readFileSync(file, "utf8").matchAll(/["']((?:\.\.\/)+\.open-next\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), m[1]);
      if (relative(OUTPUT, target).startsWith("..")) continue; // not this checkout's .open-next/
      const snapshot = join(SNAPSHOT, relative(OUTPUT, target));
      if (aliases.has(m[1]) && aliases.get(m[1]) !== snapshot)
        throw new Error(`worker/: "${m[1]}" names different files from different folders; wrangler's [alias] cannot tell them apart`);
      aliases.set(m[1], snapshot);
    }
  }
  if (aliases.size === 0) throw new Error("no .ts file in worker/ imports from .open-next/: scripts/dev.mjs needs updating");
  const text = [
    "# Written by scripts/dev.mjs from wrangler.toml, for `npm run dev`; do not edit.",
    readFileSync(join(root, "wrangler.toml"), "utf8").trimEnd(),
    "",
    "[alias]",
    ...[...aliases].map(([specifier, path]) => `${JSON.stringify(specifier)} = ${JSON.stringify(path)}`),
    "",
  ].join("\n");
  if (!existsSync(DEV_CONFIG) || readFileSync(DEV_CONFIG, "utf8") !== text) writeFileSync(DEV_CONFIG, text);
}

// Where the dev script before this one kept a copy of the static assets: nothing uses it now, and
// it is removed on the first start (a no-op after).
rmSync(join(root, ".wrangler", "dev-assets"), { recursive: true, force: true });
await prepareLocal();
snapshotBuild();
writeDevConfig();
const server = spawn(
  bin("wrangler"),
  wranglerDevArgs(process.env.PORT || "8787", ["--config", DEV_CONFIG, "--assets", join(SNAPSHOT, "assets"), ...process.argv.slice(2)]),
  { cwd: root, stdio: "inherit" },
);
server.on("exit", (code) => process.exit(code ?? 1));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));

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
  console.log("[dev] a source changed: rebuilding (the server keeps the last build meanwhile).");
  try {
    await buildIfNeeded();
    await migrateLocal();
    await populateCacheIfNeeded();
    snapshotBuild();
    writeDevConfig();
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
  // A wrangler.toml edit (or a new .open-next import) reaches the server now, not after the build.
  try {
    writeDevConfig();
  } catch (err) {
    console.error(`[dev] ${DEV_CONFIG} not rewritten: ${err.message}`);
  }
  clearTimeout(timer);
  timer = setTimeout(rebuild, 300);
}, 1000);
console.log("[dev] watching the Worker's sources; an edit rebuilds and reloads it.");
