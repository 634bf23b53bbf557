/**
 * A temporary copy of this checkout, for the tests that run its npm scripts the way a developer
 * does (readme-commands.test.ts): its sources and its built Worker (dist/ with the build stamp,
 * .open-next/: nothing is rebuilt at start), none of its local state (.wrangler/, .dev.vars: a
 * first start, as after a clone) and this checkout's dependencies. The copy can be edited, and
 * what runs in it never touches this checkout's files, its local D1 or a server already running.
 *
 * Servers are spawned as process groups (npm → node → wrangler → workerd, esbuild) and stopped as
 * a whole; any left running when the test process exits are killed with it.
 */
import { execFile, spawn } from "node:child_process";
import { copyFileSync, cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify, stripVTControlCharacters } from "node:util";
import { staleReason } from "../../scripts/build-stamp.mjs";

export const repoRoot = join(import.meta.dirname, "..", "..");

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
 * - "symlink": one symlink to this checkout's. Enough to serve the built Worker (`npm start`).
 * - "hardlink": a tree of hard links to its files (a copy where the filesystem differs). Needed
 *   for a build in the copy: with node_modules a symlink, `next build` copies the link itself
 *   into its standalone output, and OpenNext's bundler then reaches every installed package
 *   through it (it failed on sharp's native binary). None of the build tools writes into
 *   node_modules, so its files are never changed through the links.
 */
export type NodeModules = "symlink" | "hardlink";

const copies: string[] = [];

/** Copies this checkout into a new temporary directory; its Worker must be built from the current sources. */
export function scratchCheckout(nodeModules: NodeModules): string {
  const stale = staleReason();
  if (stale) throw new Error(`This checkout's Worker is not built from its sources (${stale}): run node scripts/build-worker.mjs first.`);
  const dir = mkdtempSync(join(tmpdir(), "routeflare-readme-"));
  copies.push(dir);
  for (const name of readdirSync(repoRoot)) {
    if (!LEFT_OUT.has(name)) cpSync(join(repoRoot, name), join(dir, name), { recursive: true, verbatimSymlinks: true });
  }
  if (nodeModules === "symlink") symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  else linkTree(join(repoRoot, "node_modules"), join(dir, "node_modules"), NODE_MODULES_LEFT_OUT);
  return dir;
}

function linkTree(from: string, to: string, leftOut: ReadonlySet<string> = new Set()) {
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (leftOut.has(entry.name)) continue;
    const [src, dst] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) linkTree(src, dst);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else {
      try {
        linkSync(src, dst);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
        copyFileSync(src, dst);
      }
    }
  }
}

/** Removes every copy made by this process (the servers in them must be stopped first). */
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

/** A command (`npm …`, `npx …`) run to completion in `dir`; its stdout. */
export async function run(dir: string, command: "npm" | "npx", ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, { cwd: dir });
  return stdout;
}

export interface LocalServer {
  base: string;
  /** Everything it printed so far, colours removed. */
  output: () => string;
  /** The last lines it printed, for failure messages. */
  tail: (lines?: number) => string;
  /** Milliseconds from the spawn to the first 200 of GET /api/health. */
  healthy: (timeoutMs: number) => Promise<number>;
  /** Resolves once its output contains `text`; throws with its last lines if it exits or time runs out. */
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
  /** Throws (with its last lines) if it has exited. */
  assertRunning: () => void;
  stop: () => Promise<void>;
}

const running = new Set<LocalServer>();
const groups = new Set<number>();
process.on("exit", () => {
  for (const pgid of groups) killGroup(pgid, "SIGKILL");
});

function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pgid: number) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a command that starts a server (`["npm", "start"]`, as the README has a developer type
 * it) in `dir` with PORT set, in a process group of its own.
 */
export function startServer(dir: string, command: string[], port: number): LocalServer {
  const [file, ...args] = command;
  const started = Date.now();
  const child = spawn(file!, args, {
    cwd: dir,
    detached: true,
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid!;
  groups.add(pgid);
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
    async healthy(timeoutMs) {
      for (const deadline = started + timeoutMs; ;) {
        assertRunning();
        if (Date.now() > deadline) throw failure(`no 200 from GET /api/health within ${timeoutMs / 1000} s`);
        const status = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5000) }).then(
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
        if (Date.now() > deadline) throw failure(`no "${expected}" within ${timeoutMs / 1000} s`);
      }
    },
    async stop() {
      killGroup(pgid, "SIGTERM");
      // wrangler stops workerd on SIGTERM; whatever is still there after 15 s is killed.
      for (let waited = 0; groupAlive(pgid) && waited < 15_000; waited += 200) await sleep(200);
      killGroup(pgid, "SIGKILL");
      for (let waited = 0; groupAlive(pgid) && waited < 5_000; waited += 100) await sleep(100);
      groups.delete(pgid);
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
