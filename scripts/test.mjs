#!/usr/bin/env node
// `npm test`: static checks (lint incl. edge purity, types, route table, CI workflow schema), build the Worker if
// its sources changed, run every vitest project, and print the closing line CI reads:
// "N passed, N failed". Extra arguments go to vitest (e.g. `npm test -- test/integration/posts`).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bin, root, run } from "./toolchain.mjs";

let passed = 0;
let failed = 0;
const check = async (name, fn) => {
  try {
    await fn();
    passed++;
  } catch (err) {
    failed++;
    console.error(`✗ ${name}: ${err.message}`);
  }
};

const only = process.argv.slice(2);
await check("lint (eslint, edge purity)", () => run(bin("eslint"), ["."]));
await check("formatting (prettier --check)", () => run(bin("prettier"), ["--check", "--log-level", "warn", "."]));
await check("typecheck (app, lib, worker)", () => run(bin("tsc"), ["--noEmit"]));
await check("typecheck (tests)", () => run(bin("tsc"), ["--noEmit", "-p", "test"]));
await check("route table is current", () => run(process.execPath, ["scripts/gen-routes.mjs", "--check"]));
await check("workflows match the GitHub Actions schema", () => run(process.execPath, ["scripts/check-workflows.mjs"]));
await check("build the Worker", () => run(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]));
await check("docs/api.md matches the OpenAPI document", () => run(process.execPath, ["scripts/gen-api-doc.mjs", "--check"]));

const report = join(root, ".vitest-report.json");
rmSync(report, { force: true });
await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...only]).catch(() => {});
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that fails to load has no failed test of its own: count it as a failure.
  failed += r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  if (r.numTotalTests === 0) failed++;
} else {
  failed++;
  console.error("✗ vitest wrote no report");
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
