#!/usr/bin/env node
// `npm start`: build the Worker if the sources changed, apply the D1 migrations, fill the local
// incremental cache (scripts/prepare-local.mjs), then serve the production build on workerd
// (wrangler dev, local mode: no account, no internet) at http://localhost:${PORT:-8787}.
import { localSecretArgs } from "./dev-secrets.mjs";
import { prepareLocal } from "./prepare-local.mjs";
import { bin, root, run } from "./toolchain.mjs";

const port = process.env.PORT || "8787";
await prepareLocal();
await run(bin("wrangler"), [
  "dev",
  "--port",
  port,
  // Local development mode: dev S3 endpoint, dev token (see README), signing with this
  // checkout's random secrets (scripts/dev-secrets.mjs) where .dev.vars sets none.
  "--var",
  "ENVIRONMENT:development",
  ...localSecretArgs(root),
  "--show-interactive-dev-session=false",
  ...process.argv.slice(2),
]);
