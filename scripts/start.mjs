#!/usr/bin/env node
// `npm start`: build the Worker if the sources changed, apply the D1 migrations, fill the local
// incremental cache (scripts/prepare-local.mjs), then serve the production build on workerd
// (wrangler dev, local mode: no account, no internet) at http://localhost:${PORT:-8787}.
import { prepareLocal, wranglerDevArgs } from "./prepare-local.mjs";
import { bin, run } from "./toolchain.mjs";

await prepareLocal();
await run(bin("wrangler"), wranglerDevArgs(process.env.PORT || "8787", process.argv.slice(2)));
