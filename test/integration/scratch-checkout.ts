/**
 * A scratch copy of this checkout, for the tests that run its npm scripts and the README's
 * commands the way a developer does (readme-commands.test.ts, readme-deploy.test.ts): its sources
 * and its built Worker (dist/ with the build stamp, .open-next/: nothing is rebuilt at start),
 * none of its local state (.wrangler/, .dev.vars: a first start, as after a clone; it is a git
 * repository of its own, as a clone is) and this checkout's dependencies. The copy can be edited;
 * what runs in it writes only inside its scratch directory (the copy, and next to it wrangler's
 * cache: WRANGLER_CACHE_DIR, which wrangler would otherwise keep in node_modules/.cache, shared
 * with this checkout through the link), never to this checkout's files, its local D1 or a server
 * already running.
 *
 * Scratch directories live in this checkout's .wrangler/scratch/ (git-ignored, never copied):
 * on the filesystem of its node_modules, so that a copy can hard-link it. Each is named after the
 * process that made it; a run that was killed leaves its directory behind, and the next run
 * removes it (with whatever still runs in it) before making its own.
 *
 * Servers are spawned as process groups (npm → node → wrangler → workerd, esbuild) and stopped as
 * a whole; any left running when the test process exits or is interrupted are killed with it
 * (readme-blocks.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, sep } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { staleReason } from "../../scripts/build-stamp.mjs";
import { repoRoot, runOk, sleep, stopGroup, trackGroup, type Env } from "./readme-blocks";

export { repoRoot };

/** Where scratch directories are made: inside this checkout's git-ignored .wrangler/. */
export const SCRATCH_ROOT = join(repoRoot, ".wrangler", "scratch");

/** Not copied: dependencies (linked instead), git, and this checkout's local state, caches and reports. */
const LEFT_OUT = new Set([
  "node_modules",
  ".git",
  ".next",
  ".wrangler",
  ".dev.vars",
  ".dev.wrangler.toml",
  ".bench-api.wrangler.toml",
  "test-artifacts",
  "bench-results",
  ".vitest-report.json",
  ".fuzz-report.json",
]);

/** Caches vitest and vite write into node_modules: never shared with a copy. */
const NODE_MODULES_LEFT_OUT = new Set([".vite", ".vite-temp", ".vitest-cache", ".cache"]);

/**
 * How the copy gets node_modules:
 * - "symlink": one symlink to this checkout's. Enough to serve the built Worker (`npm start`) or
 *   run wrangler.
 * - "hardlink": a tree of hard links to its files. Needed for a build in the copy: with
 *   node_modules a symlink, `next build` copies the link itself into its standalone output, and
 *   OpenNext's bundler then reaches every installed package through it (it failed on sharp's
 *   native binary). None of the build tools writes into node_modules, so its files are never
 *   changed through the links. Hard links need one filesystem: where they cannot be made, the
 *   copy fails at once rather than copying 1.4 GB file by file.
 */
export type NodeModules = "symlink" | "hardlink";

const copies: string[] = [];
let swept = false;

/**
 * Copies this checkout into a new scratch directory and returns the copy's path; its Worker must
 * be built from the current sources. The scratch directory (the copy's parent) has room for what
 * is not part of a checkout: `besideCopy(dir, name)`.
 */
export function scratchCheckout(nodeModules: NodeModules): string {
  const stale = staleReason();
  if (stale) throw new Error(`This checkout's Worker is not built from its sources (${stale}): run node scripts/build-worker.mjs first.`);
  if (!swept) sweepStale();
  swept = true;
  mkdirSync(SCRATCH_ROOT, { recursive: true });
  const scratch = mkdtempSync(join(SCRATCH_ROOT, `${process.pid}-`));
  copies.push(scratch);
  const dir = join(scratch, "checkout");
  mkdirSync(dir);
  for (const name of readdirSync(repoRoot)) {
    if (!LEFT_OUT.has(name)) cpSync(join(repoRoot, name), join(dir, name), { recursive: true, verbatimSymlinks: true });
  }
  const modules = join(repoRoot, "node_modules");
  if (nodeModules === "symlink") symlinkSync(modules, join(dir, "node_modules"), "dir");
  else {
    try {
      linkTree(modules, join(dir, "node_modules"), NODE_MODULES_LEFT_OUT);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      const { code, message } = err as NodeJS.ErrnoException;
      throw new Error(
        `Could not hard-link ${realpathSync(modules)} into the scratch copy ${dir} (${code ?? message}). ` +
          `The test needs both on one filesystem that allows hard links: keep node_modules on the checkout's filesystem.`,
      );
    }
  }
  mkdirSync(besideCopy(dir, "wrangler-cache"));
  // Its own git repository, as a clone is: tools that look for the project's root upwards (Next's
  // workspace-root inference, wrangler's git metadata) stop at the copy rather than reach this checkout.
  execFileSync("git", ["init", "-q"], { cwd: dir, stdio: "ignore" });
  return dir;
}

/** A path next to the copy `dir`, in its scratch directory (a home, a bin/, a cache). */
export const besideCopy = (dir: string, name: string) => join(dirname(dir), name);

/** The environment for what runs in the copy `dir`: wrangler's cache beside it. */
export const copyEnv = (dir: string, env: Env = process.env): Env => ({
  ...env,
  WRANGLER_CACHE_DIR: besideCopy(dir, "wrangler-cache"),
});

function linkTree(from: string, to: string, leftOut: ReadonlySet<string> = new Set()) {
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (leftOut.has(entry.name)) continue;
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) linkTree(src, dst);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else linkSync(src, dst);
  }
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the scratch directories of test processes that are gone (killed before their cleanup
 * ran), first killing what still runs in them: any process whose working directory is inside
 * (Linux: /proc; elsewhere only the directories are removed).
 */
function sweepStale() {
  let names: string[];
  try {
    names = readdirSync(SCRATCH_ROOT);
  } catch {
    return; // no scratch directory yet
  }
  const stale = names
    .filter((name) => /^\d+-/.test(name) && !processAlive(Number(name.split("-")[0])))
    .map((name) => join(SCRATCH_ROOT, name));
  if (stale.length === 0) return;
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc
  }
  for (const pid of pids) {
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (stale.some((dir) => cwd === dir || cwd.startsWith(dir + sep))) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }
  for (const dir of stale) rmSync(dir, { recursive: true, force: true });
}

/** Removes every scratch directory made by this process (the servers in them must be stopped first). */
export function removeCopies() {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A command (`npm …`, `npx …`) run to completion in the copy `dir`, within `timeoutMs`; its stdout. */
export function runInCopy(dir: string, timeoutMs: number, command: "npm" | "npx", ...args: string[]): Promise<string> {
  return runOk(command, args, { cwd: dir, env: copyEnv(dir), timeoutMs });
}

export interface LocalServer {
  base: string;
  /** Everything it printed so far, colours removed. */
  output: () => string;
  /** The last lines it printed, for failure messages. */
  tail: (lines?: number) => string;
  /** Milliseconds from the spawn to the first 200 of GET /api/health; throws (with its last lines) after `timeoutMs`. */
  healthy: (timeoutMs: number) => Promise<number>;
  /** Resolves once its output contains `text`; throws with its last lines if it exits or time runs out. */
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
  /** Throws (with its last lines) if it has exited. */
  assertRunning: () => void;
  /** An Error naming the server, `why`, and its last lines. */
  failure: (why: string) => Error;
  stop: () => Promise<void>;
}

const running = new Set<LocalServer>();

/**
 * Runs a command that starts a server (`["npm", "start"]`, as the README has a developer type
 * it) in the copy `dir` with PORT set, in a process group of its own.
 */
export function startServer(dir: string, command: string[], port: number): LocalServer {
  const [file, ...args] = command;
  const started = Date.now();
  const env: Env = { ...copyEnv(dir), PORT: String(port) };
  const child = spawn(file!, args, {
    cwd: dir,
    detached: true,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid!;
  trackGroup(pgid);
  let text = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += stripVTControlCharacters(chunk)));
  }
  let exit: string | undefined;
  child.on("exit", (code, signal) => (exit = `exited with ${code ?? signal}`));

  const base = `http://localhost:${port}`;
  const tail = (lines = 40) => text.trimEnd().split("\n").slice(-lines).join("\n");
  const what = `${command.join(" ")} (PORT=${port}, in ${dir})`;
  const failure = (why: string) => new Error(`${what}: ${why}. Its last lines:\n${tail()}`);
  const assertRunning = () => {
    if (exit) throw failure(exit);
  };

  const server: LocalServer = {
    base,
    output: () => text,
    tail,
    assertRunning,
    failure,
    async healthy(timeoutMs) {
      for (const deadline = Date.now() + timeoutMs; ;) {
        assertRunning();
        if (Date.now() > deadline)
          throw failure(`no 200 from GET /api/health within ${((Date.now() - started) / 1000).toFixed(0)} s of the start`);
        const status = await fetch(`${base}/api/health`, {
          signal: AbortSignal.timeout(Math.max(1, Math.min(5000, deadline - Date.now()))),
        }).then(
          (res) => res.status,
          () => 0,
        );
        if (status === 200) return Date.now() - started;
        await sleep(250);
      }
    },
    async waitFor(expected, timeoutMs) {
      for (const deadline = Date.now() + timeoutMs; !text.includes(expected); await sleep(250)) {
        assertRunning();
        if (Date.now() > deadline) throw failure(`no "${expected}" within ${(timeoutMs / 1000).toFixed(0)} s`);
      }
    },
    async stop() {
      // wrangler stops workerd on SIGTERM; whatever is still there after 15 s is killed.
      await stopGroup(pgid, 15_000);
      running.delete(server);
    },
  };
  running.add(server);
  return server;
}

/** Stops every server `startServer` started that is still running. */
export async function stopServers() {
  await Promise.all([...running].map((s) => s.stop()));
}
