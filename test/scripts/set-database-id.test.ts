/**
 * `npm run db:set-id` rewrites one line of wrangler.toml: the `database_id` of the
 * [[d1_databases]] entry whose `database_name` it finds there, and nothing else.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { databaseName, withDatabaseId } from "../../scripts/set-database-id.mjs";

const toml = readFileSync(join(import.meta.dirname, "..", "..", "wrangler.toml"), "utf8");
const ID = "6f1c2a9e-0b7d-4c3e-9a51-2d8f4e6b7c10";

describe("db:set-id", () => {
  it("finds this checkout's database name", () => {
    expect(databaseName(toml)).toBe("routeflare");
  });

  it("replaces the placeholder id of that entry, and changes no other line", () => {
    const out = withDatabaseId(toml, "routeflare", ID);
    const before = toml.split("\n");
    const after = out.split("\n");
    expect(after.length).toBe(before.length);
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [[before[i], line]]));
    expect(changed).toEqual([['database_id = "00000000-0000-0000-0000-000000000000"', `database_id = "${ID}"`]]);
    // Run again (a second `d1 create` after deleting the database), it replaces the id it wrote.
    expect(withDatabaseId(out, "routeflare", "11111111-2222-3333-4444-555555555555")).toContain(
      'database_id = "11111111-2222-3333-4444-555555555555"',
    );
  });

  it("refuses a name wrangler.toml does not bind, rather than writing nothing", () => {
    expect(() => withDatabaseId(toml, "other", ID)).toThrow(/0 \[\[d1_databases\]\] entries named "other"/);
  });
});
