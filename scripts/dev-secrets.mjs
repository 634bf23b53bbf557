// This checkout's development secrets: made at random on first use, kept in
// .wrangler/dev-secrets.json (git-ignored, readable by its owner only), never a constant from the
// source. `npm start` hands them to the Worker, `npm run token` signs with them and the local
// webhook sender signs deliveries with them, so all three agree. Deleting .wrangler/ makes new
// ones, and every token or dev S3 URL signed with the old ones stops working.
//
// What the Worker does with them (lib/config.ts): DEV_SECRET signs tokens, cursors and dev S3
// URLs only with ENVIRONMENT=development and no AUTH_SECRET; the webhook secrets are ordinary
// endpoint secrets. A value set in .dev.vars always wins over the generated one.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseEnv } from "node:util";

const FILE = join(".wrangler", "dev-secrets.json");

/** Each generated secret in the form its consumer expects (Stripe and Standard Webhooks use `whsec_`). */
const GENERATORS = {
  DEV_SECRET: () => randomBytes(32).toString("hex"),
  STRIPE_WEBHOOK_SECRET: () => `whsec_${randomBytes(24).toString("hex")}`,
  STANDARD_WEBHOOK_SECRET: () => `whsec_${randomBytes(32).toString("base64")}`,
  GITHUB_WEBHOOK_SECRET: () => randomBytes(32).toString("hex"),
};

/** The generated secrets of the checkout at `root`, made (and stored) on first use. */
export function devSecrets(root) {
  const file = join(root, FILE);
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const missing = Object.keys(GENERATORS).filter((name) => typeof stored[name] !== "string" || stored[name] === "");
  if (missing.length === 0) return stored;
  for (const name of missing) stored[name] = GENERATORS[name]();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return stored;
}

/** The values of `.dev.vars` at `root` (wrangler's dotenv format), or {} without one. */
export function devVars(root) {
  const file = join(root, ".dev.vars");
  return existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
}

/**
 * What the Worker signs with locally: `.dev.vars` first, then the generated secrets. These are
 * the `--var` pairs `npm start` passes (only for names `.dev.vars` leaves unset: wrangler lets a
 * `--var` override `.dev.vars`, which would silently replace a secret the developer chose).
 */
export function localSecrets(root) {
  const set = devVars(root);
  const generated = devSecrets(root);
  return Object.fromEntries(Object.entries(generated).filter(([name]) => !set[name]));
}

/** `localSecrets` as wrangler arguments. */
export const localSecretArgs = (root) => Object.entries(localSecrets(root)).flatMap(([name, value]) => ["--var", `${name}:${value}`]);

/** The HS256 key `npm start`'s Worker accepts: AUTH_SECRET from .dev.vars, else DEV_SECRET (.dev.vars, then generated). */
export function localAuthSecret(root) {
  const set = devVars(root);
  return set.AUTH_SECRET || set.DEV_SECRET || devSecrets(root).DEV_SECRET;
}
