#!/usr/bin/env node
// `npm run token -- <sub> [--expires 1h]`: prints a bearer token for local development,
// HS256-signed with AUTH_SECRET from .dev.vars, or the built-in dev secret when none is set
// (the one the Worker accepts with ENVIRONMENT=development, as `npm start` runs it).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mintToken } from "../lib/auth/mint.ts";
import { DEV_AUTH_SECRET } from "../lib/config.ts";
import { root } from "./toolchain.mjs";

const args = process.argv.slice(2);
const sub = args.find((a) => !a.startsWith("--")) ?? "dev-user";
const expiresIdx = args.indexOf("--expires");
const expires = expiresIdx >= 0 ? args[expiresIdx + 1] : "12h";
if (sub.length < 1 || sub.length > 128) {
  console.error("sub must be 1-128 characters");
  process.exit(2);
}

function devVar(name) {
  const file = join(root, ".dev.vars");
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (m && m[1] === name) return m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return undefined;
}

// A .dev.vars that pins the issuer / audience makes the Worker require them: match it.
const jwt = await mintToken({
  secret: devVar("AUTH_SECRET") || DEV_AUTH_SECRET,
  sub,
  expires,
  issuer: devVar("AUTH_ISSUER"),
  audience: devVar("AUTH_AUDIENCE"),
});
console.log(jwt);
