#!/usr/bin/env node
// `npm run db:set-id`: writes the id of the remote D1 database that wrangler.toml names
// (`database_name`) into its `database_id`, replacing the placeholder: the deploy step after
// `npx wrangler d1 create routeflare` (README, Deploy). The id comes from `wrangler d1 list --json`,
// so it needs the same login as the other wrangler commands. Commit the change: CI deploys with it.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { bin, root } from "./toolchain.mjs";

const D1_BLOCK = /\[\[d1_databases\]\][^[]*/g;

/** wrangler.toml's text with `database_id` of the [[d1_databases]] entry named `name` set to `id`. */
export function withDatabaseId(toml, name, id) {
  let found = 0;
  const out = toml.replace(D1_BLOCK, (block) => {
    if (!new RegExp(`^database_name\\s*=\\s*"${name}"\\s*$`, "m").test(block)) return block;
    found++;
    if (!/^database_id\s*=/m.test(block)) throw new Error(`wrangler.toml: the [[d1_databases]] entry "${name}" has no database_id line`);
    return block.replace(/^database_id\s*=\s*"[^"]*"/m, `database_id = "${id}"`);
  });
  if (found !== 1) throw new Error(`wrangler.toml has ${found} [[d1_databases]] entries named "${name}", expected one`);
  return out;
}

/** The `database_name` of wrangler.toml's only [[d1_databases]] entry. */
export function databaseName(toml) {
  const names = [...toml.matchAll(D1_BLOCK)].map((m) => /^database_name\s*=\s*"([^"]+)"/m.exec(m[0])?.[1]);
  if (names.length !== 1 || !names[0])
    throw new Error(`wrangler.toml: expected one [[d1_databases]] entry with a database_name, found ${names.length}`);
  return names[0];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = join(root, "wrangler.toml");
  const toml = readFileSync(path, "utf8");
  const name = databaseName(toml);
  const { stdout } = await promisify(execFile)(bin("wrangler"), ["d1", "list", "--json"], { cwd: root, maxBuffer: 16 << 20 });
  const db = JSON.parse(stdout).find((d) => d.name === name);
  if (!db) {
    console.error(`No remote D1 database named "${name}": run \`npx wrangler d1 create ${name}\` first.`);
    process.exit(1);
  }
  writeFileSync(path, withDatabaseId(toml, name, db.uuid));
  console.log(`wrangler.toml: database_id = "${db.uuid}" (${name})`);
}
