/**
 * `npm run db:set-id` rewrites one line of wrangler.toml: the `database_id` of the
 * [[d1_databases]] entry it finds there (the only one, or the one named on its command line), and
 * nothing else. Each case runs on a fixture file in a temporary directory; this checkout's
 * wrangler.toml is only ever copied (its database_id may be the placeholder or a real id).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chooseEntry, d1Entries, setDatabaseId } from "../../scripts/set-database-id.mjs";

const repo = join(import.meta.dirname, "..", "..");
const script = join(repo, "scripts", "set-database-id.mjs");
const ID = "6f1c2a9e-0b7d-4c3e-9a51-2d8f4e6b7c10";
const ID2 = "11111111-2222-3333-4444-555555555555";

let dir = "";
let file = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "routeflare-set-id-"));
  file = join(dir, "wrangler.toml");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (text: string) => writeFileSync(file, text);
const read = () => readFileSync(file, "utf8");

/** The lines that differ, as [before, after] (same line count expected unless `added`). */
function changedLines(before: string, after: string) {
  const [a, b] = [before.split("\n"), after.split("\n")];
  expect(b.length).toBe(a.length);
  return b.flatMap((line, i) => (line === a[i] ? [] : [[a[i], line]]));
}

const ENTRY = (name: string, id = "00000000-0000-0000-0000-000000000000") =>
  `[[d1_databases]]\nbinding = "DB"\ndatabase_name = "${name}"\ndatabase_id = "${id}"\n`;

describe("db:set-id on a fixture wrangler.toml", () => {
  it("on a copy of this checkout's wrangler.toml: its one entry, one line changed, whatever id it held", () => {
    copyFileSync(join(repo, "wrangler.toml"), file);
    const before = read();
    const [entry] = d1Entries(file);
    expect(entry?.database_name).toBe("routeflare");
    // Two ids other than the one it holds (the placeholder, or a real id after db:set-id).
    const [first, second] = [ID, ID2, "22222222-3333-4444-5555-666666666666"].filter((id) => id !== entry?.database_id);
    expect(setDatabaseId(file, first!)).toBe("routeflare");
    const changed = changedLines(before, read());
    expect(changed).toHaveLength(1);
    expect(changed[0]![1]).toBe(`database_id = "${first}"`);
    expect(d1Entries(file)[0]!.database_id).toBe(first);
    // Run again (a second `d1 create` after deleting the database), it replaces the id it wrote.
    setDatabaseId(file, second!);
    expect(changedLines(before, read())).toEqual([[changed[0]![0], `database_id = "${second}"`]]);
  });

  it("keeps CRLF line ends, also with a comment after the header, the name and the id", () => {
    const lines = [
      "[[d1_databases]] # main",
      'binding = "DB"',
      'database_name = "routeflare" # prod',
      'database_id = "old" # set by db:set-id',
    ];
    fixture(lines.join("\r\n") + "\r\n");
    expect(setDatabaseId(file, ID)).toBe("routeflare");
    expect(read()).toBe([...lines.slice(0, 3), `database_id = "${ID}" # set by db:set-id`].join("\r\n") + "\r\n");
  });

  it("replaces a single-quoted (literal) id", () => {
    fixture(`name = "x"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "routeflare"\ndatabase_id = 'old-id'\n`);
    setDatabaseId(file, ID);
    expect(read()).toContain(`database_id = "${ID}"\n`);
    expect(read()).not.toContain("old-id");
  });

  it("keeps a comment after the id, and reads a name followed by a comment", () => {
    fixture(
      `[[d1_databases]]\nbinding = "DB"\ndatabase_name = "routeflare" # the one wrangler d1 create made\ndatabase_id = "old" # set by db:set-id\n`,
    );
    expect(setDatabaseId(file, ID)).toBe("routeflare");
    expect(read()).toContain(`database_name = "routeflare" # the one wrangler d1 create made\ndatabase_id = "${ID}" # set by db:set-id\n`);
  });

  it("is not misled by a [ in a comment inside the entry", () => {
    fixture(
      `[[d1_databases]]\nbinding = "DB"\n# see [the docs] and [[d1_databases]] in wrangler's reference\ndatabase_name = "routeflare"\ndatabase_id = "old"\n\n[vars]\nX = "1"\n`,
    );
    setDatabaseId(file, ID);
    expect(read()).toContain(`database_id = "${ID}"\n`);
    expect(read()).toContain('[vars]\nX = "1"\n');
  });

  it("matches the name exactly: characters special in a RegExp are plain", () => {
    fixture(`${ENTRY("a+b.c", "id-1")}\n${ENTRY("aab-c", "id-2")}`);
    expect(setDatabaseId(file, ID, "a+b.c")).toBe("a+b.c");
    expect(d1Entries(file).map((e) => e.database_id)).toEqual([ID, "id-2"]);
    expect(() => setDatabaseId(file, ID, "a.b.c")).toThrow(/no \[\[d1_databases\]\] entry with database_name = "a\.b\.c"/);
  });

  it("with several entries: asks which one, then writes only that one", () => {
    fixture(`${ENTRY("main", "id-1")}\n${ENTRY("analytics", "id-2")}`);
    const before = read();
    expect(() => setDatabaseId(file, ID)).toThrow(
      /2 \[\[d1_databases\]\] entries \("main", "analytics"\): run `npm run db:set-id -- <database_name>`/,
    );
    expect(read()).toBe(before);
    setDatabaseId(file, ID, "analytics");
    expect(changedLines(before, read())).toEqual([['database_id = "id-2"', `database_id = "${ID}"`]]);
    expect(() => chooseEntry(d1Entries(file), "main")).not.toThrow();
  });

  it("adds the id line to an entry that has none", () => {
    fixture(`[[d1_databases]]\nbinding = "DB"\ndatabase_name = "routeflare"\n\n[vars]\nX = "1"\n`);
    setDatabaseId(file, ID);
    expect(d1Entries(file)).toEqual([{ binding: "DB", database_name: "routeflare", database_id: ID }]);
  });

  it("leaves an entry in an environment alone", () => {
    fixture(
      `${ENTRY("routeflare", "top")}\n[env.staging]\nname = "x-staging"\n\n${ENTRY("routeflare", "staging").replace("[[d1_databases]]", "[[env.staging.d1_databases]]")}`,
    );
    setDatabaseId(file, ID);
    expect(read()).toContain(`database_id = "${ID}"`);
    expect(read()).toContain('database_id = "staging"');
  });

  it("refuses what it cannot edit line by line, and leaves the file as it was", () => {
    fixture(`d1_databases = [{ binding = "DB", database_name = "routeflare", database_id = "old" }]\n`);
    const before = read();
    expect(() => setDatabaseId(file, ID)).toThrow(/inline table.*by hand/);
    expect(read()).toBe(before);
    fixture(`[[d1_databases]]\nbinding = "DB"\ndatabase_name = "routeflare"\ndatabase_id = """old"""\n`);
    expect(() => setDatabaseId(file, ID)).toThrow(/cannot rewrite `database_id = """old"""`/);
  });

  it("refuses a name wrangler.toml does not bind, and a file with no entry", () => {
    fixture(ENTRY("routeflare"));
    expect(() => setDatabaseId(file, ID, "other")).toThrow(
      /no \[\[d1_databases\]\] entry with database_name = "other" \(it has "routeflare"\)/,
    );
    fixture(`name = "x"\n`);
    expect(() => setDatabaseId(file, ID)).toThrow(/no \[\[d1_databases\]\] entry/);
  });
});

describe("db:set-id as a command", () => {
  const node = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    promisify(execFile)(process.execPath, args, { env, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it("runs when started through a symlink", async () => {
    const link = join(dir, "set-database-id.mjs");
    symlinkSync(script, link);
    const result = await node([link, "--help"]);
    expect(result.stdout).toMatch(/^Usage: npm run db:set-id -- /);
  });

  it("--config without a path: usage, exit 2, nothing read or written", async () => {
    fixture(ENTRY("routeflare"));
    const before = read();
    for (const args of [["--config"], ["--config", "--help-me"]]) {
      const result = await node([script, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^Usage: npm run db:set-id -- /);
    }
    expect(read()).toBe(before);
  });

  it("when wrangler fails: its message, no stack trace, exit 1, the file untouched", { timeout: 90_000 }, async () => {
    fixture(ENTRY("routeflare"));
    const before = read();
    // No login and no token, without a terminal: wrangler refuses at once, offline.
    const home = join(dir, "home");
    mkdirSync(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), CI: "true" };
    for (const name of [
      "CLOUDFLARE_API_TOKEN",
      "CLOUDFLARE_API_KEY",
      "CLOUDFLARE_EMAIL",
      "CLOUDFLARE_ACCOUNT_ID",
      "CF_API_TOKEN",
      "CF_ACCOUNT_ID",
    ])
      delete env[name];
    const result = await node([script, "--config", file], env);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain("`wrangler d1 list --json` failed");
    expect(result.stderr).toMatch(/CLOUDFLARE_API_TOKEN/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(read()).toBe(before);
  });
});

describe("gen-routes as a command", () => {
  it("runs when started through a symlink", async () => {
    // A layout of its own: the script finds app/api/ and worker/ next to its real path.
    for (const sub of ["scripts", "app/api/ping", "worker", "bin"]) mkdirSync(join(dir, sub), { recursive: true });
    copyFileSync(join(repo, "scripts", "gen-routes.mjs"), join(dir, "scripts", "gen-routes.mjs"));
    writeFileSync(join(dir, "app", "api", "ping", "route.ts"), "export const GET = () => new Response('pong');\n");
    symlinkSync(join(dir, "scripts", "gen-routes.mjs"), join(dir, "bin", "gen-routes.mjs"));
    await promisify(execFile)(process.execPath, [join(dir, "bin", "gen-routes.mjs")], { timeout: 30_000 });
    expect(readFileSync(join(dir, "worker", "routes.generated.ts"), "utf8")).toContain('{ pattern: "/api/ping", module: r0 }');
  });
});
