#!/usr/bin/env node
// Builds the deployable Worker: route table → OpenNext build (runs `npm run build` = next build)
// → build placeholders dropped from the prerendered cache → vendored browser assets copied into
// the assets directory → wrangler's bundle of worker/index.ts into dist/ (a dry-run deploy:
// offline, no account). `npm run deploy` runs this, then `opennextjs-cloudflare deploy`.
// `--if-needed` skips all of it when dist/ was built from the current sources.
import { existsSync, writeFileSync } from "node:fs";
import { bundleFile, sourceHash, staleReason, stampFile } from "./build-stamp.mjs";
import { bin, run } from "./toolchain.mjs";

const stale = staleReason();
if (process.argv.includes("--if-needed")) {
  if (!stale) {
    console.log("Worker build is up to date (dist/): no rebuild.");
    process.exit(0);
  }
  console.log(`Building the Worker: ${stale}.`);
}
await run(process.execPath, ["scripts/gen-routes.mjs"]);
const hash = sourceHash();
await run(bin("opennextjs-cloudflare"), ["build"]);
await run(process.execPath, ["scripts/drop-build-placeholders.mjs"]);
await run(process.execPath, ["scripts/vendor-assets.mjs"]);
await run(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "dist"]);
// Stamped only when the bundle the next `--if-needed` looks for is really there.
if (!existsSync(bundleFile())) throw new Error(`the build wrote no ${bundleFile()}`);
writeFileSync(stampFile(), hash);
