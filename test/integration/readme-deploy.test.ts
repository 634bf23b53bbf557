/**
 * The README's deploy block runs here, every line as written, against a fake of the Cloudflare v4
 * API (cloudflare-api-fake.ts: `CLOUDFLARE_API_BASE_URL` for wrangler, `CLOUDFLARE_BASE_URL` for
 * the Cloudflare SDK), offline, in a scratch copy of this checkout (scratch-checkout.ts: the block
 * writes wrangler.toml) with a home and wrangler cache of its own. Each line has a time limit,
 * after which its whole process group is killed (a `wrangler login` left waiting would hold
 * port 8976). What the block leaves behind is checked against
 * the files it names: the database and buckets wrangler.toml binds, the migrations in drizzle/
 * applied to that database, each secret holding the value typed at its prompt, the bucket's CORS
 * and lifecycle rules equal to r2-cors.json and r2-lifecycle.json, the Worker uploaded with
 * wrangler.toml's bindings, triggers and the static assets of the build.
 *
 * How the lines that cannot run as in a terminal are run:
 * - `npx wrangler login` runs for real: its OAuth URLs (WRANGLER_AUTH_URL, WRANGLER_TOKEN_URL) are
 *   the fake's, and the "browser" it opens (an `xdg-open`/`open` first on PATH) visits the
 *   authorisation page, which grants at once, and follows the redirect to wrangler's callback on
 *   localhost:8976 (wrangler's fixed port: two runs of this file at once would collide). The other
 *   commands then use the OAuth token wrangler saved, and find the account as after a real login.
 * - Each line runs in its own `bash -c`, with its own stdin: `wrangler secret put` reads the value
 *   from stdin up to its end when stdin is not a terminal, so one shared stdin would hand every
 *   value to the first secret.
 * - `npm run deploy` is `build-worker.mjs && opennextjs-cloudflare deploy`, and the latter is
 *   (1) populate the remote R2 incremental cache, then (2) `wrangler deploy`. The build is the one
 *   `npm test` makes before vitest (checked current here). (1) cannot run offline at all: OpenNext
 *   populates the remote cache through a preview Worker it uploads (`wrangler`'s remote dev mode),
 *   which workerd then reaches at https://open-next-cache-populate.<subdomain>.workers.dev:443, a
 *   host and port no fake on this machine can answer without root, a DNS override and a trusted
 *   certificate; answered half-way it waits on each entry for minutes. So this test runs (2) as
 *   OpenNext runs it (`wrangler deploy` with OPEN_NEXT_DEPLOY=true) and pins the deploy script, so
 *   a change to it fails here; the remote cache population stays untested.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { experimental_readRawConfig } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_ENV } from "../../scripts/toolchain.mjs";
import { startCloudflareApi, type CloudflareApiFake } from "./cloudflare-api-fake";
import { Deadline, readmeBlock, runLine } from "./readme-blocks";
import { besideCopy, copyEnv, removeCopies, repoRoot as root, scratchCheckout } from "./scratch-checkout";

/** The lines of the fenced sh block right after the `<!-- deploy: … -->` marker, without comments. */
function deployBlock(): string[] {
  return readmeBlock("deploy")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
}

/** The longest any one line may take (a `wrangler login` waiting for a browser that never comes). */
const LINE_MS = 120_000;

/** The browser `wrangler login` opens: grant, then stop at wrangler's callback (its own redirect is on the internet). */
const BROWSER = `#!/usr/bin/env node
(async () => {
  const page = await fetch(process.argv[process.argv.length - 1], { redirect: "manual" });
  const callback = page.headers.get("location");
  if (page.status !== 302 || !callback) throw new Error("the authorisation page answered " + page.status);
  await fetch(callback, { redirect: "manual" });
})().catch((err) => { console.error(err); process.exit(1); });
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.split("\\").join("/"));
}

/** What a user types at each `wrangler secret put` prompt. */
const SECRETS: Record<string, string> = {
  AUTH_SECRET: "readme-deploy-auth-secret-0123456789abcdef",
  STRIPE_WEBHOOK_SECRET: "whsec_readme_deploy_test",
  R2_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
};

describe("README deploy block", () => {
  let api: CloudflareApiFake;
  let checkout = "";
  let env: Record<string, string | undefined> = {};

  /** This checkout's wrangler.toml before the run: the block may only edit the copy's. */
  let rootToml = "";

  beforeAll(async () => {
    rootToml = readFileSync(join(root, "wrangler.toml"), "utf8");
    // A copy with the Worker `npm test` built before vitest (what `npm run deploy` builds first);
    // it throws when that build is not current.
    checkout = scratchCheckout("symlink");
    api = await startCloudflareApi();
    const bin = besideCopy(checkout, "bin");
    mkdirSync(bin);
    for (const name of ["xdg-open", "open"]) writeFileSync(join(bin, name), BROWSER, { mode: 0o755 });

    const origin = new URL(api.baseUrl).origin;
    // What `npm run` sources first (scripts/offline.env): a user's `npx` does not, this test must.
    env = copyEnv(checkout, { ...process.env, ...OFFLINE_ENV });
    // No credentials but the ones the block obtains: `wrangler login` refuses to run with a token set.
    for (const name of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_ACCOUNT_ID", "CF_ACCOUNT_ID"])
      delete env[name];
    Object.assign(env, {
      PATH: [bin, join(root, "node_modules", ".bin"), process.env.PATH].join(":"),
      HOME: besideCopy(checkout, "home"),
      XDG_CONFIG_HOME: join(besideCopy(checkout, "home"), ".config"),
      CLOUDFLARE_API_BASE_URL: api.baseUrl,
      CLOUDFLARE_BASE_URL: api.baseUrl,
      WRANGLER_AUTH_DOMAIN: new URL(api.baseUrl).host,
      WRANGLER_AUTH_URL: `${origin}/oauth2/auth`,
      WRANGLER_TOKEN_URL: `${origin}/oauth2/token`,
      WRANGLER_REVOKE_URL: `${origin}/oauth2/revoke`,
      npm_config_update_notifier: "false",
    });
    mkdirSync(env.HOME!, { recursive: true });
  });

  afterAll(async () => {
    await api?.close();
    removeCopies();
  });

  it("runs every line as written, up to the deploy", { timeout: 300_000 }, async () => {
    const time = new Deadline(290_000);
    const lines = deployBlock();
    expect(lines.at(-1)).toBe("npm run deploy");
    for (const line of lines.slice(0, -1)) {
      const secret = /wrangler secret put (\w+)/.exec(line)?.[1];
      if (secret) expect(SECRETS, `a value for ${secret}`).toHaveProperty(secret);
      const timeoutMs = Math.min(LINE_MS, time.left());
      const result = await runLine(line, { cwd: checkout, env, input: secret ? SECRETS[secret] : "", timeoutMs });
      expect(result.code, `${line}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
  });

  it(
    "and the deploy's Worker upload, as `opennextjs-cloudflare deploy` runs it after populating the cache",
    { timeout: 300_000 },
    async () => {
      const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
      expect(scripts.deploy).toBe(". ./scripts/offline.env && node scripts/build-worker.mjs && opennextjs-cloudflare deploy");
      // node_modules/@opennextjs/cloudflare/dist/cli/commands/deploy.js: `wrangler deploy` with these.
      const result = await runLine("npm exec wrangler deploy", {
        cwd: checkout,
        env: { ...env, OPEN_NEXT_DEPLOY: "true", CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "false" },
        timeoutMs: 290_000,
      });
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    },
  );

  describe("leaves what the README says", () => {
    const config = () => experimental_readRawConfig({ config: join(checkout, "wrangler.toml") }).rawConfig;

    it("logged in through the browser, and every later command used that login", () => {
      const oauth = api.calls.filter((c) => c.path.startsWith("/oauth2/"));
      expect(oauth.map((c) => `${c.status} ${c.method} ${c.path}`)).toEqual(["302 GET /oauth2/auth", "200 POST /oauth2/token"]);
      const saved = readFileSync(join(env.XDG_CONFIG_HOME!, ".wrangler", "config", "default.toml"), "utf8");
      expect(saved).toContain(`oauth_token = "${api.token}"`);
      // The fake refuses any other token (403), and nothing was refused.
      expect(api.calls.filter((c) => c.status === 403)).toEqual([]);
    });

    it("created the D1 database wrangler.toml names, and wrote its id there", () => {
      const [d1] = config().d1_databases ?? [];
      expect(d1?.database_name).toBe("routeflare");
      const db = api.databases.get(d1!.database_name!);
      expect(db).toBeDefined();
      expect(d1?.database_id).toBe(db!.uuid);
      // This checkout's own wrangler.toml is untouched (whatever database_id it holds).
      expect(readFileSync(join(root, "wrangler.toml"), "utf8")).toBe(rootToml);
    });

    it("applied every migration in drizzle/ to it: the same schema as applying them here", () => {
      const db = api.databases.get("routeflare")!;
      const files = readdirSync(join(root, "drizzle"))
        .filter((f) => f.endsWith(".sql"))
        .sort();
      expect(files.length).toBeGreaterThan(0);
      expect(
        db.sqlite
          .prepare("SELECT name FROM d1_migrations ORDER BY id")
          .all()
          .map((r) => r.name),
      ).toEqual(files);
      const expected = new DatabaseSync(":memory:");
      for (const f of files) expected.exec(readFileSync(join(root, "drizzle", f), "utf8"));
      const schema = (s: DatabaseSync) =>
        s
          .prepare("SELECT type, name, sql FROM sqlite_master WHERE tbl_name NOT IN ('d1_migrations', 'sqlite_sequence') ORDER BY name")
          .all();
      expect(schema(db.sqlite)).toEqual(schema(expected));
      expect(schema(expected).length).toBeGreaterThan(0);
    });

    it("created both R2 buckets, with the uploads bucket's CORS and lifecycle rules from the repository's files", () => {
      const names = (config().r2_buckets ?? []).map((b: { bucket_name?: string }) => b.bucket_name);
      expect(names).toEqual(["routeflare-uploads", "routeflare-next-cache"]);
      expect([...api.buckets.keys()].sort()).toEqual([...names].sort());
      const uploads = api.buckets.get("routeflare-uploads")!;
      expect(uploads.cors).toEqual(JSON.parse(readFileSync(join(root, "r2-cors.json"), "utf8")));
      expect(uploads.lifecycle).toEqual(JSON.parse(readFileSync(join(root, "r2-lifecycle.json"), "utf8")));
      expect(api.buckets.get("routeflare-next-cache")!.cors).toBeUndefined();
    });

    it("put each secret with the value given at its prompt", () => {
      const worker = api.scripts.get("routeflare");
      expect(Object.fromEntries(worker?.secrets ?? [])).toEqual(SECRETS);
    });

    it("uploaded the Worker with wrangler.toml's bindings, compatibility, Durable Object migration and cron", () => {
      const raw = config();
      const worker = api.scripts.get(raw.name!)!;
      const { metadata } = worker;
      expect(worker.uploads).toBe(2); // the draft `secret put` created, then the deploy
      expect(metadata.compatibility_date).toBe(raw.compatibility_date);
      expect(metadata.compatibility_flags).toEqual(raw.compatibility_flags);
      expect(worker.modules.get(metadata.main_module as string)).toMatch(/\S/);

      type Binding = { name: string; type: string } & Record<string, unknown>;
      const bindings = new Map((metadata.bindings as Binding[]).map((b) => [b.name, b]));
      const d1 = raw.d1_databases![0]!;
      expect(bindings.get(d1.binding)).toEqual({ name: d1.binding, type: "d1", id: api.databases.get("routeflare")!.uuid });
      for (const r2 of raw.r2_buckets!)
        expect(bindings.get(r2.binding)).toEqual({ name: r2.binding, type: "r2_bucket", bucket_name: r2.bucket_name });
      const limits = raw.ratelimits ?? [];
      expect(limits.length).toBe(5);
      for (const rl of limits)
        expect(bindings.get(rl.name)).toEqual({ name: rl.name, type: "ratelimit", namespace_id: rl.namespace_id, simple: rl.simple });
      for (const [name, text] of Object.entries(raw.vars ?? {})) expect(bindings.get(name)).toEqual({ name, type: "plain_text", text });
      expect(bindings.get(raw.assets!.binding!)).toEqual({ name: raw.assets!.binding, type: "assets" });
      for (const s of raw.services ?? []) expect(bindings.get(s.binding)).toMatchObject({ type: "service", service: s.service });
      for (const d of raw.durable_objects?.bindings ?? [])
        expect(bindings.get(d.name)).toMatchObject({ type: "durable_object_namespace", class_name: d.class_name });
      // Nothing bound that wrangler.toml does not declare (the secrets are kept, not re-sent).
      const declared =
        Object.keys(raw.vars ?? {}).length +
        limits.length +
        raw.d1_databases!.length +
        raw.r2_buckets!.length +
        (raw.services ?? []).length +
        (raw.durable_objects?.bindings ?? []).length +
        1; // ASSETS
      expect(bindings.size).toBe(declared);
      expect(metadata.keep_bindings).toContain("secret_text");
      expect(metadata.migrations).toMatchObject({
        new_tag: raw.migrations![0]!.tag,
        steps: [{ new_sqlite_classes: raw.migrations![0]!.new_sqlite_classes }],
      });
      expect(worker.schedules).toEqual(raw.triggers!.crons!.map((cron: string) => ({ cron })));
    });

    it("uploaded every static asset of the build, byte for byte", () => {
      const dir = join(checkout, ".open-next", "assets");
      // _headers is configuration, sent with the upload's metadata rather than as an asset.
      const files = filesUnder(dir).filter((f) => f !== "_headers");
      expect(Object.keys(api.assetManifest).sort()).toEqual(files.map((f) => `/${f}`).sort());
      for (const f of files) {
        const bytes = api.assets.get(api.assetManifest[`/${f}`]!.hash);
        expect(bytes?.equals(readFileSync(join(dir, f))), f).toBe(true);
      }
      const assets = (api.scripts.get("routeflare")!.metadata.assets ?? {}) as {
        jwt?: string;
        config?: { run_worker_first?: unknown; _headers?: string };
      };
      expect(assets.jwt).toMatch(/\S/);
      expect(assets.config?.run_worker_first).toEqual(config().assets!.run_worker_first);
      expect(assets.config?._headers).toBe(readFileSync(join(dir, "_headers"), "utf8"));
    });

    it("called nothing the fake does not know (a changed command answers 404/400 here)", () => {
      const refused = api.calls.filter((c) => c.status >= 400).map((c) => `${c.status} ${c.method} ${c.path}`);
      // The one refusal on the way is Cloudflare's "no such Worker" to the first `secret put`,
      // which makes wrangler create the Worker (as a draft) and retry.
      expect(refused).toEqual([`404 PUT /accounts/${api.accountId}/workers/scripts/routeflare/secrets`]);
    });
  });
});
