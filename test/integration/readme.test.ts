/**
 * The README cannot drift from the code: its five-minute tour runs here, block as written, with
 * bash against the built Worker holding this checkout's development secrets (as `npm start`
 * does), every `npm run <script>` it mentions exists, and every shell block it shows is run by a
 * test its marker names (readme-commands.test.ts runs `npm start` and `npm run dev`,
 * readme-deploy.test.ts the deploy block, CI's .ci/run `npm install && npm test`) or is listed in
 * NOT_RUN with the reason.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localSecrets } from "../../scripts/dev-secrets.mjs";
import { useWorker } from "./harness";
import { readme, readmeBlock, readmeShellBlocks, repoRoot as root, runLine, runOk } from "./readme-blocks";
import { count } from "./webhooks-fixtures";

const w = useWorker({ devSecret: true, vars: () => localSecrets(root) });

/**
 * The README's shell blocks that no test runs, each found by a command it contains, and why.
 * Every other shell block follows a `<!-- …: <file> runs … -->` marker naming what runs it.
 */
// Empty: every block has a marker naming what runs it, though not every line runs in full
// there. Of the two-command block, readme-commands.test.ts runs `npm start` and CI (.ci/run) runs
// `npm install && npm test`. The deploy block runs against a fake of the Cloudflare API
// (readme-deploy.test.ts), every line as written except `npm run deploy`, of which only the
// Worker upload runs: its other half, filling the remote incremental cache, cannot run offline
// (readme-deploy.test.ts says why). A block that cannot be run at all goes here with its reason.
const NOT_RUN: { contains: string; why: string }[] = [];

describe("README", () => {
  it("the five-minute tour runs as written and does what its comments say", { timeout: 120_000 }, async () => {
    const env = { ...process.env, PORT: w.url().port };
    const { code, stdout, stderr } = await runLine(readmeBlock("tour"), { cwd: root, env, timeoutMs: 110_000 });
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/error/i);
    // seed: five posts and a token for each user
    expect(stdout).toMatch(/^export ALICE_TOKEN=/m);
    // the posts listing, alice's draft, her new post, and the refusal naming the field
    expect(stdout).toContain('"title":"Draft: rate limits"');
    expect(stdout).toContain('"title":"Hello"');
    expect(stdout).toContain('"title":["Must be 1-200 characters."]');
    // the signed deliveries and the maintenance run
    expect(stdout).toContain("POST /api/webhooks/stripe → 200");
    expect(stdout).toContain("POST /api/webhooks/github → 200");
    expect(stdout).toContain('scheduled "17 3 * * *": ok');
    expect(await count(w, "posts")).toBe(6);
    expect(await count(w, "orders")).toBe(1);
  });

  it("every npm script it mentions exists, and the --help it points to works", async () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts);
    const mentioned = new Set([...readme.matchAll(/npm (?:run(?: -s)?) ([a-z][a-z:-]*)/g)].map((m) => m[1]!));
    expect([...mentioned].filter((name) => !scripts.includes(name))).toEqual([]);
    expect(mentioned).toContain("dev");
    for (const script of ["token", "webhook"]) {
      const stdout = await runOk(process.execPath, [join(root, "scripts", `${script}.mjs`), "--help"], { cwd: root, timeoutMs: 12_000 });
      expect(stdout).toMatch(new RegExp(`^Usage: npm run ${script} -- `));
    }
  });

  it("every shell block is run by what the marker before it names, or is listed here with why not", () => {
    const blocks = readmeShellBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const unaccounted: string[] = [];
    for (const { marker, text } of blocks) {
      if (marker !== undefined) {
        // A marker names the files that run the block: each must exist and be about the README.
        const files = [...marker.matchAll(/(?<![\w./-])(?:test|\.ci|scripts)\/[\w./-]*\w/g)].map((m) => m[0]);
        expect(files, `the marker <!--${marker}--> names no file that runs its block`).not.toEqual([]);
        for (const file of files) {
          expect(existsSync(join(root, file)), `${file}, named by the marker <!--${marker}-->, does not exist`).toBe(true);
          expect(readFileSync(join(root, file), "utf8"), `${file} (named by a README marker)`).toContain("README");
        }
      } else if (!NOT_RUN.some(({ contains }) => text.includes(contains))) unaccounted.push(text.split("\n")[0]!);
    }
    expect(
      unaccounted,
      "README shell blocks that no test runs: run them in a test and name it in a <!-- … --> marker, or list them in NOT_RUN",
    ).toEqual([]);
    // Every exception still matches a block.
    expect(NOT_RUN.filter(({ contains }) => !blocks.some(({ text }) => text.includes(contains)))).toEqual([]);
  });

  it("a restart with no source change does not rebuild (npm start's first step)", async () => {
    const stdout = await runOk(process.execPath, [join(root, "scripts", "build-worker.mjs"), "--if-needed"], {
      cwd: root,
      timeoutMs: 25_000,
    });
    expect(stdout).toContain("no rebuild");
  });
});
