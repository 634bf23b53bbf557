#!/usr/bin/env node
// `npm run db:set-id`: writes the id of the remote D1 database that wrangler.toml names
// (`database_name`) into its `database_id`, replacing the placeholder: the deploy step after
// `npx wrangler d1 create routeflare` (README, Deploy). The id comes from `wrangler d1 list --json`,
// so it needs the same login as the other wrangler commands. Commit the change: CI deploys with it.
//
// wrangler.toml is read as wrangler reads it (its own TOML reader) to find the entry; then only
// that entry's `database_id` line is rewritten (added if missing), so comments and layout stay,
// and the file is read again to check that it holds the new id and nothing else changed.
import { execFile } from "node:child_process";
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { experimental_readRawConfig } from "wrangler";
import { bin, root } from "./toolchain.mjs";

const USAGE = `Usage: npm run db:set-id -- [<database_name>] [--config <path to wrangler.toml>]

Writes the id of the remote D1 database into the database_id of wrangler.toml's [[d1_databases]]
entry with that database_name. Without a name, wrangler.toml must have exactly one entry.`;

/** wrangler.toml at `path` as wrangler reads it (before any defaults or validation). */
function readRaw(path) {
  return experimental_readRawConfig({ config: path }).rawConfig;
}

/** The top-level [[d1_databases]] entries of the wrangler.toml at `path`. */
export function d1Entries(path) {
  return readRaw(path).d1_databases ?? [];
}

/** The index of the entry to write: the one whose database_name is `name`, or the only one. */
export function chooseEntry(entries, name) {
  const names = entries.map((e) => e.database_name);
  if (entries.length === 0)
    throw new Error(
      "wrangler.toml has no [[d1_databases]] entry: add the one `npx wrangler d1 create <name>` prints, then run this again.",
    );
  if (name === undefined) {
    if (entries.length === 1) {
      if (typeof names[0] !== "string") throw new Error("wrangler.toml: its [[d1_databases]] entry has no database_name.");
      return 0;
    }
    throw new Error(
      `wrangler.toml has ${entries.length} [[d1_databases]] entries (${names.map((n) => JSON.stringify(n)).join(", ")}): ` +
        `run \`npm run db:set-id -- <database_name>\` once for each database whose id to write.`,
    );
  }
  const matching = names.flatMap((n, i) => (n === name ? [i] : []));
  if (matching.length === 0)
    throw new Error(
      `wrangler.toml has no [[d1_databases]] entry with database_name = ${JSON.stringify(name)} (it has ${names.map((n) => JSON.stringify(n)).join(", ")}).`,
    );
  if (matching.length > 1)
    throw new Error(
      `wrangler.toml has ${matching.length} [[d1_databases]] entries with database_name = ${JSON.stringify(name)}: keep one.`,
    );
  return matching[0];
}

const D1_HEADER = /^\s*\[\[\s*d1_databases\s*\]\]\s*(?:#[^\r\n]*)?\r?$/;
/** Any table or array-of-tables header line: where an entry's keys end. */
const TABLE_HEADER = /^\s*\[{1,2}\s*[\w."' -]+\s*\]{1,2}\s*(?:#[^\r\n]*)?\r?$/;
const ID_KEY = /^\s*database_id\s*=/;
/** `database_id = "…"` or `database_id = '…'`, with an optional comment after. */
const ID_LINE = /^(\s*database_id\s*=\s*)(?:"(?:[^"\\]|\\.)*"|'[^']*')(\s*(?:#[^\r\n]*)?\r?)$/;

/**
 * wrangler.toml's text with the `database_id` of its `index`-th [[d1_databases]] entry (of
 * `count`, as read by wrangler) set to `id`: that one line rewritten, or added under the entry's
 * header when it has none. Throws when the entries are not all `[[d1_databases]]` tables.
 */
export function withDatabaseId(toml, index, count, id) {
  const lines = toml.split("\n");
  const headers = lines.flatMap((line, i) => (D1_HEADER.test(line) ? [i] : []));
  if (headers.length !== count)
    throw new Error(
      `wrangler.toml: wrangler reads ${count} D1 entries but ${headers.length} [[d1_databases]] header lines; ` +
        "an entry written another way (an inline table) is not edited here: set its database_id by hand.",
    );
  const start = headers[index];
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++)
    if (TABLE_HEADER.test(lines[i])) {
      end = i;
      break;
    }
  const idLines = [];
  for (let i = start + 1; i < end; i++) if (ID_KEY.test(lines[i])) idLines.push(i);
  if (idLines.length === 0) lines.splice(start + 1, 0, `database_id = "${id}"`);
  else {
    const at = idLines[0];
    const m = ID_LINE.exec(lines[at]);
    if (idLines.length > 1 || !m)
      throw new Error(`wrangler.toml line ${at + 1}: cannot rewrite \`${lines[at].trim()}\`: set database_id by hand.`);
    lines[at] = `${m[1]}"${id}"${m[2]}`;
  }
  return lines.join("\n");
}

/** JSON with sorted keys: equal for equal configurations, whatever the order keys were written in. */
function canonical(value) {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/**
 * Writes `id` into the database_id of the [[d1_databases]] entry named `name` (or the only one)
 * of the wrangler.toml at `path`. The new text is written next to it and read back as wrangler
 * reads it: it must hold `id` there and be otherwise the same configuration, or the file is left
 * as it was. Returns the entry's database_name.
 */
export function setDatabaseId(path, id, name) {
  const before = readRaw(path);
  const entries = before.d1_databases ?? [];
  const index = chooseEntry(entries, name);
  const out = withDatabaseId(readFileSync(path, "utf8"), index, entries.length, id);
  // wrangler reads a file by its extension: the temporary one ends in .toml too.
  const temp = join(dirname(path), `.${basename(path, ".toml")}.db-set-id-${process.pid}.toml`);
  writeFileSync(temp, out, { mode: statSync(path).mode });
  try {
    const after = readRaw(temp);
    if (after.d1_databases?.[index]?.database_id !== id)
      throw new Error(`wrangler.toml: the rewritten file does not hold database_id = "${id}" in entry ${index + 1}`);
    const expected = structuredClone(before);
    expected.d1_databases[index].database_id = id;
    if (canonical(after) !== canonical(expected)) throw new Error("wrangler.toml: rewriting database_id changed other settings");
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new Error(`${err.message}; the file is left as it was. Set database_id by hand.`);
  }
  return entries[index].database_name;
}

/** Whether this module is the script node was started with (through a symlink too). */
function isMain() {
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    process.exit(0);
  }
  const at = args.indexOf("--config");
  const configArg = at >= 0 ? args[at + 1] : undefined;
  const path = at >= 0 ? resolve(configArg ?? "") : join(root, "wrangler.toml");
  const [name, ...extra] = at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
  if (extra.length > 0 || name?.startsWith("-") || (at >= 0 && (!configArg || configArg.startsWith("-")))) {
    console.error(USAGE);
    process.exit(2);
  }
  try {
    const entries = d1Entries(path);
    const dbName = entries[chooseEntry(entries, name)].database_name;
    let stdout;
    try {
      ({ stdout } = await promisify(execFile)(bin("wrangler"), ["d1", "list", "--json"], { cwd: dirname(path), maxBuffer: 16 << 20 }));
    } catch (err) {
      const output = `${err.stderr ?? ""}${err.stdout ?? ""}`.trim() || err.message;
      throw new Error(`\`wrangler d1 list --json\` failed (exit ${err.code ?? err.signal}):\n${output}`);
    }
    let list;
    try {
      list = JSON.parse(stdout);
    } catch {
      throw new Error(`\`wrangler d1 list --json\` printed something other than JSON:\n${stdout}`);
    }
    const db = list.find((d) => d.name === dbName);
    if (!db) throw new Error(`No remote D1 database named "${dbName}": run \`npx wrangler d1 create ${dbName}\` first.`);
    setDatabaseId(path, db.uuid, dbName);
    console.log(`${basename(path)}: database_id = "${db.uuid}" (${dbName})`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
