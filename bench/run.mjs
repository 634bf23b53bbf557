#!/usr/bin/env node
// `npm run bench`: Routeflare against the plain-Hono yardstick in bench/hono, same machine, same
// run. Writes bench-results/latest.md (the tables) and latest.json (the figures).
//
//   npm run bench                       # every scenario (about 8 minutes)
//   npm run bench -- --quick            # one round, 5 s runs
//   npm run bench -- --only=read,cold   # the named scenarios, in the order below
//
// Needs wrk (apt-get install wrk). The harness and how to add a scenario: bench/harness.mjs.
import { execFileSync } from "node:child_process";
import { mintToken } from "../lib/auth/mint.ts";
import { run as runScript } from "../scripts/toolchain.mjs";
import { rmSync } from "node:fs";
import { BENCH_DEV_SECRET, createContext, loadAverage, parseArgs, requireWrk, stateRoot, stopAll } from "./harness.mjs";
import * as read from "./scenarios/read.mjs";
import * as write from "./scenarios/write.mjs";
import * as badInput from "./scenarios/bad-input.mjs";
import * as cold from "./scenarios/cold.mjs";
import * as paging from "./scenarios/paging.mjs";
import * as sse from "./scenarios/sse.mjs";
import * as uploads from "./scenarios/uploads.mjs";
import * as multipart from "./scenarios/multipart.mjs";
import * as uploadBrowser from "./scenarios/upload-browser.mjs";
import * as size from "./scenarios/size.mjs";
import * as rateLimits from "./scenarios/rate-limits.mjs";
import * as edgeCache from "./scenarios/edge-cache.mjs";

/** Every scenario, in run order. */
const SCENARIOS = [read, rateLimits, edgeCache, write, badInput, cold, paging, sse, uploads, multipart, uploadBrowser, size];

const opts = parseArgs(process.argv.slice(2));
const unknown = opts.only.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`Unknown scenario(s): ${unknown.join(", ")}. Known: ${SCENARIOS.map((s) => s.name).join(", ")}.`);
  process.exit(2);
}
const selected = SCENARIOS.filter((s) => opts.only.length === 0 || opts.only.includes(s.name));

requireWrk();
await runScript(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]);

const token = await mintToken({ secret: BENCH_DEV_SECRET, sub: "bench", expires: "2h" });
const ctx = createContext({ opts, token });
const { log } = ctx.report;
log(`# Routeflare benchmark — ${new Date().toISOString()}`);
log();
log(
  `Machine: ${execFileSync("nproc").toString().trim()} cores, load average ${loadAverage()} at start. wrk -t1 -c${opts.conns} -d${opts.duration} after a ${opts.warmup.replace(/s$/, " s")} warm-up, ${opts.rounds} alternating round(s), medians shown. CPU = utime+stime of each server's whole process group (wrangler + workerd) per request.`,
);
log();

try {
  for (const scenario of selected) await scenario.run(ctx);
} finally {
  await stopAll();
  // The servers' state is seeded afresh by every run; on tmpfs it holds memory until removed.
  rmSync(stateRoot, { recursive: true, force: true });
}

log(`Load average at end: ${loadAverage()}`);
ctx.report.write(ctx.results);
console.log(`\nwrote bench-results/latest.md`);
