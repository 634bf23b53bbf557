#!/usr/bin/env node
// `npm run cron`: runs the Worker's Cron Trigger (daily maintenance) once on the local server,
// through wrangler's local trigger endpoint, with the schedule from wrangler.toml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { localFetch } from "./local-server.mjs";
import { root } from "./toolchain.mjs";

const cron = /^crons\s*=\s*\["([^"]+)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1];
if (!cron) throw new Error("wrangler.toml declares no cron trigger");
const res = await localFetch(`/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}&format=json`);
const text = await res.text();
let outcome;
try {
  outcome = JSON.parse(text).outcome;
} catch {
  console.error(`Unexpected answer (${res.status}): ${text.slice(0, 200)}`);
  process.exit(1);
}
console.log(`scheduled "${cron}": ${outcome}`);
// The maintenance job logs what it pruned in the server's log.
process.exit(outcome === "ok" ? 0 : 1);
