#!/usr/bin/env node
// `npm start`: build the Worker if the sources changed, apply the D1 migrations to the local
// database (.wrangler/state), fill the local incremental cache with the build's prerendered
// routes, then serve the production build on workerd (wrangler dev, local
// mode: no account, no internet) at http://localhost:${PORT:-8787}.
import { localSecretArgs } from "./dev-secrets.mjs";
import { bin, root, run } from "./toolchain.mjs";

const port = process.env.PORT || "8787";
await run(process.execPath, ["scripts/build-worker.mjs", "--if-needed"]);
await run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { env: { ...process.env, CI: "true" } });
// Next's incremental cache (local R2): the bodies `next build` prerendered, e.g. /api/openapi.json.
await run(bin("opennextjs-cloudflare"), ["populateCache", "local"]);
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
