/**
 * The build stamp decides whether `npm start` (and `npm run dev`, `npm test`) rebuilds the
 * Worker: a change to what the bundle is built from must rebuild, anything else must not.
 * Each case runs on a scratch copy of the inputs' layout, so it never touches this checkout's dist/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleFile, isBuildCurrent, sourceHash, staleReason, stampFile } from "../../scripts/build-stamp.mjs";

const repo = join(import.meta.dirname, "..", "..");
let root = "";

const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

/** What build-worker.mjs leaves behind after a successful build. */
function build() {
  mkdirSync(join(root, "dist"), { recursive: true });
  writeFileSync(bundleFile(root), "// bundle");
  writeFileSync(stampFile(root), sourceHash(root));
}

beforeEach(() => {
  // mkdtemp's path has no trailing separator; the stamp hashes paths relative to root.
  root = mkdtempSync(join(tmpdir(), "routeflare-stamp-"));
  write("wrangler.toml", 'name = "x"\nmain = "worker/index.ts"\n');
  write("app/api/health/route.ts", "export const GET = 1;");
  write("lib/config.ts", "export const a = 1;");
  write("worker/index.ts", "export default {};");
  write("public/index.html", "<!doctype html>");
  write("next.config.ts", "export default {};");
  write("open-next.config.ts", "export default {};");
  write("package-lock.json", "{}");
  write("README.md", "# readme");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("build stamp", () => {
  it("the bundle it looks for is the one wrangler names after `main` (dist/index.js)", () => {
    expect(bundleFile(root)).toBe(join(root, "dist", "index.js"));
    // And this checkout's real build wrote exactly that file (the bug: it looked for dist/worker.js).
    expect(existsSync(bundleFile(repo))).toBe(true);
  });

  it("needs a build without dist/, and without a stamp", () => {
    expect(staleReason(root)).toMatch(/dist\/index\.js is missing/);
    mkdirSync(join(root, "dist"));
    writeFileSync(bundleFile(root), "");
    expect(staleReason(root)).toMatch(/no build stamp/);
  });

  it("is current right after a build, and stays current when nothing changed", () => {
    build();
    expect(isBuildCurrent(root)).toBe(true);
    expect(isBuildCurrent(root)).toBe(true);
  });

  it.each([
    ["app/api/health/route.ts", "export const GET = 2;"],
    ["lib/config.ts", "export const a = 2;"],
    ["lib/new-module.ts", "export {};"],
    ["worker/index.ts", "export default { fetch() {} };"],
    ["public/demo.css", "body {}"],
    ["next.config.ts", "export default { a: 1 };"],
    ["open-next.config.ts", "export default { a: 1 };"],
    ["wrangler.toml", 'name = "x"\nmain = "worker/index.ts"\n# changed\n'],
    ["package-lock.json", '{"a":1}'],
    ["drizzle/0001_new.sql", "CREATE TABLE t (a);"],
  ])("rebuilds after a change to %s", (path, text) => {
    build();
    write(path, text);
    expect(staleReason(root)).toBe("a source changed since the last build");
  });

  it("rebuilds when a source file is deleted", () => {
    build();
    rmSync(join(root, "public", "index.html"));
    expect(isBuildCurrent(root)).toBe(false);
  });

  it.each([
    ["README.md", "# changed"],
    ["docs/new.md", "words"],
    ["test/integration/x.test.ts", "test"],
    [".wrangler/state/v3/d1/db.sqlite", "rows"],
  ])("does not rebuild after a change to %s", (path, text) => {
    build();
    write(path, text);
    expect(isBuildCurrent(root)).toBe(true);
  });
});
