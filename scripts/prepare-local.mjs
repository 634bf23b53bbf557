// What `npm start` and `npm run dev` do before serving: build the Worker if its sources changed,
// apply the D1 migrations to the local database (.wrangler/state), and fill the local
// incremental cache with the build's prerendered routes (only after a new build: the cache
// survives restarts in .wrangler/state, so an unchanged restart skips the step). Each step
// that is already done is skipped: a restart with no source change serves in seconds.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stampFile } from "./build-stamp.mjs";
import { localSecretArgs } from "./dev-secrets.mjs";
import { bin, root, run } from "./toolchain.mjs";

/** Which build the local incremental cache was filled from (inside the state it describes). */
const CACHE_STAMP = join(root, ".wrangler", "state", "next-cache.source-hash");

export async function buildIfNeeded() {
  await run(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]);
}

/** Which migrations the local database was last brought up to (inside the state it describes). */
const MIGRATIONS_STAMP = join(root, ".wrangler", "state", "d1-migrations.hash");

/** The migration files' names and contents: a new or edited migration changes it. */
function migrationsHash() {
  const dir = join(root, "drizzle");
  const hash = createHash("sha256");
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".sql"))
    .sort())
    hash
      .update(name)
      .update("\0")
      .update(readFileSync(join(dir, name)));
  return hash.digest("hex");
}

export async function migrateLocal() {
  const current = migrationsHash();
  // Asking wrangler costs a few seconds of every restart; the answer only changes with drizzle/
  // (or a wiped .wrangler/state, which takes this stamp with it).
  if (existsSync(MIGRATIONS_STAMP) && readFileSync(MIGRATIONS_STAMP, "utf8") === current) {
    console.log("Local D1 database has every migration.");
    return;
  }
  await run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { env: { ...process.env, CI: "true" } });
  writeFileSync(MIGRATIONS_STAMP, current);
}

export async function populateCacheIfNeeded() {
  const build = readFileSync(stampFile(), "utf8");
  if (existsSync(CACHE_STAMP) && readFileSync(CACHE_STAMP, "utf8") === build) {
    console.log("Local incremental cache is up to date for this build.");
    return;
  }
  // populateCache reads the bindings through wrangler's platform proxy, which cannot host this
  // Worker's Durable Objects and says so twice (wrangler's warning, workerd's "no such Durable
  // Object class"). The server started next does run them locally (real workerd), so those two
  // messages are wrong here and are dropped; everything else is shown.
  console.log("Filling the local incremental cache (the platform proxy's Durable Object warnings are silenced: the server runs them).");
  await quietly(
    bin("opennextjs-cloudflare"),
    ["populateCache", "local"],
    /^A DurableObjectNamespace in the config referenced the class "DOQueueHandler"/,
  );
  mkdirSync(dirname(CACHE_STAMP), { recursive: true });
  writeFileSync(CACHE_STAMP, build);
}

/** Runs a command with wrangler's warnings off, and its output minus the lines matching `drop`. */
function quietly(cmd, args, drop) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, WRANGLER_LOG: "error" }, stdio: ["ignore", "pipe", "pipe"] });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = "";
      from.setEncoding("utf8");
      from.on("data", (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop();
        for (const line of lines) if (!drop.test(line)) to.write(`${line}\n`);
      });
      from.on("end", () => rest && !drop.test(rest) && to.write(rest));
    }
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`))));
  });
}

export async function prepareLocal() {
  await buildIfNeeded();
  await migrateLocal();
  await populateCacheIfNeeded();
}

/** `wrangler dev` serving the built Worker locally, as `npm start` and `npm run dev` run it. */
export function wranglerDevArgs(port, extra = []) {
  return [
    "dev",
    "--port",
    port,
    // Local development mode: dev S3 endpoint, dev token (see README), signing with this
    // checkout's random secrets (scripts/dev-secrets.mjs) where .dev.vars sets none.
    "--var",
    "ENVIRONMENT:development",
    ...localSecretArgs(root),
    "--show-interactive-dev-session=false",
    ...extra,
  ];
}
