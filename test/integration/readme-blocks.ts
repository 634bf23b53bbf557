/**
 * What the README tests share (readme.test.ts, readme-commands.test.ts, readme-deploy.test.ts):
 * the README's text and the blocks its `<!-- name: … -->` markers introduce, and running a
 * command the way a developer does, with a time limit: each command runs in a process group of
 * its own, and the whole group is killed when its time is up, when the test process exits, or
 * when it is interrupted (SIGINT, SIGTERM), so no server or prompt outlives a test holding a port.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..", "..");
export const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

/** What follows the `<!-- name: … -->` marker (its name is the text before the first colon). */
function afterMarker(name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const marker = new RegExp(`<!-- ${escaped}:[^>]*-->\\s*`).exec(readme);
  return marker ? readme.slice(marker.index + marker[0].length) : undefined;
}

/** The fenced sh block right after the `<!-- name: … -->` marker. */
export function readmeBlock(name: string): string {
  const block = /^```sh\n([\s\S]*?)```/.exec(afterMarker(name) ?? "")?.[1];
  if (block === undefined) throw new Error(`README.md has no \`\`\`sh block right after a <!-- ${name}: … --> marker`);
  return block;
}

/** Every shell block of the README, with the text of the `<!-- … -->` marker right before it, if any. */
export function readmeShellBlocks(): { marker: string | undefined; text: string }[] {
  return [...readme.matchAll(/(?:<!--([^>]*)-->\s*)?```(?:sh|bash|shell|console)\n([\s\S]*?)```/g)].map((m) => ({
    marker: m[1],
    text: m[2]!,
  }));
}

/** The `code` a paragraph after the `<!-- name: … -->` marker opens with (`**Title.** \`code\``). */
export function readmeParagraphCommand(name: string): string {
  const command = /^\*\*[^*]+\*\* `([^`]+)`/.exec(afterMarker(name) ?? "")?.[1];
  if (command === undefined)
    throw new Error(`README.md has no paragraph opening with **…** \`command\` after a <!-- ${name}: … --> marker`);
  return command;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A point in time every wait of a test is measured against, so they all end inside its budget. */
export class Deadline {
  readonly at: number;
  constructor(ms: number) {
    this.at = Date.now() + ms;
  }
  /** Milliseconds left (0 once passed). */
  left(): number {
    return Math.max(0, this.at - Date.now());
  }
  passed(): boolean {
    return Date.now() >= this.at;
  }
}

// Process groups started here and not yet known to be gone.
const groups = new Set<number>();
let handlersInstalled = false;

export function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

export function groupAlive(pgid: number) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function onSignal(signal: NodeJS.Signals) {
  for (const pgid of groups) killGroup(pgid, "SIGKILL");
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  // Re-raised, so the process ends as it would have without this handler; unless someone else
  // handles the signal too (then it is theirs to act on).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Registers a process group to kill with the test process (exit, SIGINT, SIGTERM). */
export function trackGroup(pgid: number) {
  groups.add(pgid);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    for (const group of groups) killGroup(group, "SIGKILL");
  });
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Stops a process group: SIGTERM, then SIGKILL for what is still there after `graceMs`. */
export async function stopGroup(pgid: number, graceMs = 15_000) {
  killGroup(pgid, "SIGTERM");
  for (let waited = 0; groupAlive(pgid) && waited < graceMs; waited += 200) await sleep(200);
  killGroup(pgid, "SIGKILL");
  for (let waited = 0; groupAlive(pgid) && waited < 5_000; waited += 100) await sleep(100);
  groups.delete(pgid);
}

/** An environment for a child process (NodeJS.ProcessEnv lists the Worker's vars as required: cloudflare-env.d.ts). */
export type Env = Record<string, string | undefined>;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Env;
  /** Its stdin, then end of file (default: an empty stdin). */
  input?: string;
  /** Its time limit: then its whole process group is killed and the run throws. */
  timeoutMs: number;
}

/**
 * Runs `file args…` to completion in a process group of its own; resolves with its exit code and
 * output whatever the code. Past `timeoutMs` the group is killed (SIGTERM, SIGKILL after 5 s) and
 * it rejects with the output so far.
 */
export function run(file: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: (options.env ?? process.env) as NodeJS.ProcessEnv, detached: true });
    let [stdout, stderr, timedOut] = ["", "", false];
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.on("error", () => {}); // a command that exits without reading its stdin
    child.stdin.end(options.input ?? "");
    const pgid = child.pid;
    if (pgid === undefined) {
      child.on("error", reject);
      return;
    }
    trackGroup(pgid);
    const what = [file, ...args].join(" ");
    const timer = setTimeout(() => {
      timedOut = true;
      // Rejects once the group is stopped, not on "close": a process outside the group that
      // still holds the command's stdout would keep "close" from ever coming.
      void stopGroup(pgid, 5_000).then(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        reject(new Error(`${what} (in ${options.cwd}) did not finish within ${options.timeoutMs / 1000} s. Output:\n${stdout}\n${stderr}`));
      });
    }, options.timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) return; // the timer's path rejects
      // What the command left running in its group (a server it started) goes with it.
      void stopGroup(pgid, 5_000);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One shell line (as a user types it) under `bash -e -o pipefail`, with `run`'s time limit. */
export function runLine(line: string, options: RunOptions): Promise<RunResult> {
  return run("bash", ["-e", "-o", "pipefail", "-c", line], options);
}

/** Like `run`, but a non-zero exit throws with the output; resolves with stdout. */
export async function runOk(file: string, args: string[], options: RunOptions): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0) throw new Error(`${[file, ...args].join(" ")} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
