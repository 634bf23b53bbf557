#!/usr/bin/env node
// `npm run token -- <sub> [--expires 1h]`: prints a bearer token for local development, signed
// with what `npm start`'s Worker accepts: AUTH_SECRET from .dev.vars, else this checkout's
// generated DEV_SECRET (scripts/dev-secrets.mjs).
import { parseArgs } from "node:util";
import { localToken } from "./local-server.mjs";

const USAGE = `Usage: npm run token -- <sub> [--expires <duration>]

Prints a bearer token for the local server (npm start), signed with AUTH_SECRET from .dev.vars
or, without one, with this checkout's generated development secret (.wrangler/dev-secrets.json).

  <sub>                 the user id (1-128 characters); default "dev-user"
  --expires <duration>  lifetime, e.g. 30m, 2h, 7d; default 12h

Example:
  curl -H "Authorization: Bearer $(npm run -s token -- alice)" http://localhost:\${PORT:-8787}/api/posts?drafts=true`;

let parsed;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { expires: { type: "string", default: "12h" }, help: { type: "boolean", short: "h" } },
  });
} catch (err) {
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const sub = parsed.positionals[0] ?? "dev-user";
const { expires } = parsed.values;
if (sub.length < 1 || sub.length > 128 || parsed.positionals.length > 1) {
  console.error(`Give one user id of 1-128 characters.\n\n${USAGE}`);
  process.exit(2);
}
console.log(await localToken(sub, expires));
