// What every npm script needs to run the project's tools: the repository root, the offline
// environment, and a promise-returning spawn for the binaries in node_modules/.bin (they run on
// the pinned Node 24 that npm puts first on PATH).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The variables a shell file of `export NAME=value …` lines sets (comments and other lines are
 * ignored; values hold no spaces or quotes).
 */
export function parseExports(text) {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.startsWith("export "))
      .flatMap((line) => line.slice("export ".length).trim().split(/\s+/))
      .map((pair) => {
        const at = pair.indexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}

/**
 * Nothing may reach the internet (telemetry, Request.cf lookups). The list lives in
 * scripts/offline.env, which the npm scripts source; Node scripts read the same file.
 */
export const OFFLINE_ENV = parseExports(readFileSync(join(root, "scripts", "offline.env"), "utf8"));
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
