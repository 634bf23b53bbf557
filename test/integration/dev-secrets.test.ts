/**
 * Development secrets are this checkout's own: generated at random on first start, kept under
 * .wrangler/, handed to the Worker by `npm start` and used by `npm run token`. No string of the
 * source signs a token or a dev S3 URL that the development server accepts.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { resolveConfig, type Env } from "@/lib/config";
import { devS3Target } from "@/lib/dev/s3-target";
import { presign, type S3Target } from "@/lib/uploads/presign";
import { devSecrets, localAuthSecret, localSecretArgs, localSecrets } from "../../scripts/dev-secrets.mjs";
import { token, useWorker, type Harness } from "./harness";

const root = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

/** Every string literal of 8+ characters in the Worker's and the scripts' source. */
function sourceConstants(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|tsx|mjs)$/.test(name)) files.push(path);
    }
  };
  for (const dir of ["lib", "app", "worker", "scripts"]) walk(join(root, dir));
  const found = new Set<string>(["routeflare-local-development-secret-do-not-deploy"]); // the former constant
  for (const file of files) {
    for (const m of readFileSync(file, "utf8").matchAll(/(["'`])((?:(?!\1)[^\\\n$]){8,200})\1/g)) found.add(m[2]!);
  }
  return [...found];
}

/** The dev S3 target the Worker derives from `secret` (as its AUTH_SECRET, in development). */
async function devTargetFrom(secret: string, origin: string): Promise<S3Target> {
  const config = resolveConfig({ ENVIRONMENT: "development", AUTH_SECRET: secret } as unknown as Env);
  const target = await devS3Target(config, origin);
  expect(target, "development with a secret and no R2 credentials has a dev S3 target").not.toBeNull();
  return target!;
}

/** Runs `check` over `items`, 16 at a time. */
async function inBatches<T>(items: readonly T[], check: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += 16) await Promise.all(items.slice(i, i + 16).map(check));
}

const anyoneCanRead = (path: string) => (statSync(path).mode & 0o077) !== 0;

/** A completed upload of bob's, through the API with a token for the Worker's real secret. */
async function bobsUpload(w: Harness, secret: string) {
  const auth = { authorization: `Bearer ${await token("bob", { secret })}`, "content-type": "application/json" };
  const body = "bob's private bytes";
  const res = await w.fetch("/api/uploads", {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ filename: "notes.txt", contentType: "text/plain", size: body.length }),
  });
  expect(res.status).toBe(201);
  const p = (await res.json()) as { key: string; uploadUrl: string; headers: Record<string, string> };
  expect((await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body })).status).toBe(200);
  expect((await w.fetch("/api/uploads/complete", { method: "POST", headers: auth, body: JSON.stringify({ key: p.key }) })).status).toBe(
    200,
  );
  return { key: p.key, body };
}

describe("a development server (npm start, no .dev.vars) trusts no constant of the source", () => {
  const w = useWorker({ devSecret: true });
  const constants = sourceConstants();

  it("refuses a token signed with any string of the source", async () => {
    expect(constants.length).toBeGreaterThan(500);
    const good = await w.fetch("/api/posts?drafts=true", {
      headers: { authorization: `Bearer ${await token("mallory", { secret: w.devSecret() })}` },
    });
    expect(good.status).toBe(200);
    await inBatches(constants, async (secret) => {
      const res = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${await token("mallory", { secret })}` } });
      expect({ secret, status: res.status }).toEqual({ secret, status: 401 });
    });
  }, 180_000);

  it("refuses a dev S3 GET or PUT signed with a key derived from any string of the source", async () => {
    const { key, body } = await bobsUpload(w, w.devSecret());
    const origin = w.url().origin;
    await inBatches(constants, async (secret) => {
      // The Worker's own derivation, fed a source string instead of the checkout's secret.
      const target = await devTargetFrom(secret, origin);
      const get = await fetch(await presign(target, { method: "GET", key, expiresIn: 600 }));
      expect({ secret, status: get.status }).toEqual({ secret, status: 403 });
      await get.body?.cancel();
    });
    // One overwrite attempt per shape of key is enough to show the PUT path checks the same way.
    const target = await devTargetFrom(constants[0]!, origin);
    const put = await fetch(await presign(target, { method: "PUT", key, expiresIn: 600, contentType: "text/plain", contentLength: 6 }), {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "forged",
    });
    expect(put.status).toBe(403);
    const stored = await (await w.env()).BUCKET.get(key);
    expect(await stored!.text()).toBe(body);
  }, 180_000);
});

describe("scripts/dev-secrets.mjs: one random set per checkout, kept under .wrangler/", () => {
  it("generates on first use, keeps them, and makes new ones after .wrangler/ is wiped", () => {
    const dir = mkdtempSync(join(tmpdir(), "routeflare-checkout-"));
    try {
      const first = devSecrets(dir);
      const file = join(dir, ".wrangler", "dev-secrets.json");
      expect(existsSync(file)).toBe(true);
      expect(anyoneCanRead(file)).toBe(false);
      expect(first.DEV_SECRET).toMatch(/^[0-9a-f]{64}$/);
      expect(first.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_[0-9a-f]{48}$/);
      expect(Buffer.from(first.STANDARD_WEBHOOK_SECRET.slice("whsec_".length), "base64")).toHaveLength(32);
      expect(first.GITHUB_WEBHOOK_SECRET).toMatch(/^[0-9a-f]{64}$/);
      expect(devSecrets(dir)).toEqual(first);

      rmSync(join(dir, ".wrangler"), { recursive: true });
      const second = devSecrets(dir);
      for (const name of Object.keys(first)) expect(second[name]).not.toBe(first[name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm start passes each generated secret that .dev.vars does not set, and npm run token signs with the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "routeflare-checkout-"));
    try {
      const generated = devSecrets(dir);
      expect(localSecretArgs(dir)).toEqual(Object.entries(generated).flatMap(([n, v]) => ["--var", `${n}:${v}`]));
      expect(localAuthSecret(dir)).toBe(generated.DEV_SECRET);

      writeFileSync(join(dir, ".dev.vars"), 'AUTH_SECRET="mine-0123456789abcdef0123456789abcdef"\nSTRIPE_WEBHOOK_SECRET=whsec_mine\n');
      expect(localSecrets(dir)).not.toHaveProperty("STRIPE_WEBHOOK_SECRET");
      expect(localSecrets(dir)).toHaveProperty("GITHUB_WEBHOOK_SECRET", generated.GITHUB_WEBHOOK_SECRET);
      expect(localAuthSecret(dir)).toBe("mine-0123456789abcdef0123456789abcdef");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a wipe of .wrangler/ makes every token signed with the old secrets invalid", () => {
  const dir = mkdtempSync(join(tmpdir(), "routeflare-checkout-"));
  const old = devSecrets(dir).DEV_SECRET;
  rmSync(join(dir, ".wrangler"), { recursive: true });
  // The Worker started after the wipe gets what npm start would pass it now.
  const w = useWorker({ devSecret: true, vars: () => localSecrets(dir) });

  it("old token 401, new token 200", async () => {
    expect(w.devSecret()).toBe(devSecrets(dir).DEV_SECRET);
    const stale = await w.fetch("/api/posts?drafts=true", {
      headers: { authorization: `Bearer ${await token("alice", { secret: old })}` },
    });
    expect(stale.status).toBe(401);
    const fresh = await w.fetch("/api/posts?drafts=true", {
      headers: { authorization: `Bearer ${await token("alice", { secret: localAuthSecret(dir) })}` },
    });
    expect(fresh.status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("npm run token", () => {
  const script = join(root, "scripts", "token.mjs");

  it("prints a token for the given sub, signed with this checkout's development secret", async () => {
    const { stdout } = await run(process.execPath, [script, "alice", "--expires", "5m"], { cwd: root });
    const { payload } = await jwtVerify(stdout.trim(), new TextEncoder().encode(localAuthSecret(root)));
    expect(payload.sub).toBe("alice");
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it("--help prints the usage; a bad argument prints it too and exits 2", async () => {
    const help = await run(process.execPath, [script, "--help"], { cwd: root });
    expect(help.stdout).toMatch(/^Usage: npm run token -- <sub>/);
    for (const args of [["--nope"], ["a", "b"], ["x".repeat(129)]]) {
      const failed = await run(process.execPath, [script, ...args], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
      expect(failed).toMatchObject({ code: 2, stderr: expect.stringMatching(/Usage: npm run token/) });
    }
  });
});
