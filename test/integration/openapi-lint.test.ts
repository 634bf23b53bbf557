/**
 * The document the built Worker serves at /api/openapi.json lints clean: no error and no warning
 * from Redocly (`recommended`, redocly.yaml) or Spectral (`spectral:oas`, .spectral.yaml). Both
 * run offline: telemetry and update checks off, and the document has no remote references.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useWorker } from "./harness";

const w = useWorker({ wipeEachTest: false });

/** On top of scripts/offline.env (which npm test puts in process.env): what the linters themselves read. */
const OFFLINE = { DO_NOT_TRACK: "1", REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

/** Runs a linter's node entry point; a non-zero exit is an answer here, not a failure. */
function lint(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join("node_modules", ".bin", bin), ...args],
      { env: { ...process.env, ...OFFLINE }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") reject(err);
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

type Output = Awaited<ReturnType<typeof lint>>;

/** The linter's JSON report (stdout, or the file it wrote), or a failure that shows what it printed instead. */
function report<T>(out: Output, path?: string): T {
  try {
    return JSON.parse(path ? readFileSync(path, "utf8") : out.stdout) as T;
  } catch {
    throw new Error(`no JSON report (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  }
}

let dir: string;
let file: string;
beforeAll(async () => {
  const res = await w.fetch("/api/openapi.json");
  expect(res.status).toBe(200);
  dir = mkdtempSync(join(tmpdir(), "openapi-lint-"));
  file = join(dir, "openapi.json");
  writeFileSync(file, await res.text());
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

describe("the served OpenAPI document lints clean", () => {
  it("Redocly (recommended): 0 errors, 0 warnings", async () => {
    const out = await lint("redocly", ["lint", file, "--config", "redocly.yaml", "--format", "json"]);
    const { totals, problems } = report<{ totals: { errors: number; warnings: number }; problems: unknown[] }>(out);
    const shown = `exit ${out.code}\n${JSON.stringify(problems, null, 2)}\n${out.stderr}`;
    expect(totals, shown).toEqual(expect.objectContaining({ errors: 0, warnings: 0 }));
    expect(out.code, shown).toBe(0);
  });

  it("Spectral (spectral:oas): 0 errors, 0 warnings", async () => {
    // Spectral prints a summary line after the JSON on stdout: the report goes to a file.
    const json = join(dir, "spectral.json");
    rmSync(json, { force: true });
    const out = await lint("spectral", [
      "lint",
      file,
      "--ruleset",
      ".spectral.yaml",
      "--format",
      "json",
      "--output",
      json,
      "--fail-severity",
      "warn",
    ]);
    // Severities: 0 error, 1 warning, 2 info, 3 hint.
    const results = report<{ code: string; message: string; path: string[]; severity: number }[]>(out, existsSync(json) ? json : undefined);
    const shown = `exit ${out.code}\n${JSON.stringify(results, null, 2)}\n${out.stderr}`;
    expect(
      results.filter((r) => r.severity <= 1),
      shown,
    ).toEqual([]);
    expect(out.code, shown).toBe(0);
  });
});
