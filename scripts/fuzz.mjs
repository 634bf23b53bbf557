#!/usr/bin/env node
// `npm run fuzz [-- --runs N --seed S]`: the long fuzz run. Builds the Worker if its sources
// changed, runs test/integration/fuzz.test.ts on it (the test boots the built Worker on workerd
// with local D1 and R2 itself) with N hostile requests (default 10 000; env FUZZ_RUNS), seed S
// (default: a fresh one, printed so a failure can be replayed; env FUZZ_SEED), and prints the
// figures: requests, statuses, 5xx count, duration.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bin, root, run } from "./toolchain.mjs";

const { values } = parseArgs({
  options: { runs: { type: "string" }, seed: { type: "string" } },
  allowPositionals: false,
});
const runs = Number(values.runs ?? process.env.FUZZ_RUNS ?? 10_000);
const seed = Number(values.seed ?? process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${values.runs ?? process.env.FUZZ_RUNS}`);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, not ${values.seed ?? process.env.FUZZ_SEED}`);

await run(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]);

const report = join(root, ".fuzz-report.json");
rmSync(report, { force: true });
console.log(`fuzz: ${runs} requests, seed ${seed} (replay with: npm run fuzz -- --runs ${runs} --seed ${seed})`);
let failure;
await run(bin("vitest"), ["run", "--project", "integration", "test/integration/fuzz.test.ts"], {
  env: { ...process.env, FUZZ_RUNS: String(runs), FUZZ_SEED: String(seed), FUZZ_REPORT: report },
}).catch((err) => (failure = err));

if (existsSync(report)) {
  const f = JSON.parse(readFileSync(report, "utf8"));
  const statuses = Object.entries(f.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(", ");
  console.log(`\nfuzz figures (seed ${f.seed})`);
  console.log(`  requests   ${f.requests}`);
  console.log(`  duration   ${(f.durationMs / 1000).toFixed(1)} s (${Math.round(f.requests / (f.durationMs / 1000))} requests/s)`);
  console.log(`  statuses   ${statuses}`);
  console.log(`  5xx        ${f.serverErrors}`);
  console.log(`  operations ${Object.keys(f.operations).length - (f.operations.other ? 1 : 0)} documented, ${f.operations.other ?? 0} requests elsewhere`);
}
if (failure) {
  console.error(`\nfuzz failed (seed ${seed}): see the counterexample above.`);
  process.exit(1);
}
