/**
 * Boots the built Worker (dist/, from `npm run build:worker`) on workerd with wrangler's test
 * harness: real local D1 and R2, a real port on 127.0.0.1. One harness per test file.
 */
import { randomBytes } from "node:crypto";
import { createTestHarness } from "wrangler";
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import { mintToken, type MintOptions } from "@/lib/auth/mint";
import { populateIncrementalCache } from "./next-cache";

export const AUTH_SECRET = "integration-test-secret-0123456789abcdef";

export interface WorkerEnv {
  DB: D1Database;
  BUCKET: R2Bucket;
  NEXT_INC_CACHE_R2_BUCKET: R2Bucket;
}

export interface Harness {
  url: () => URL;
  /** fetch() against the Worker's real port. */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  env: () => Promise<WorkerEnv>;
  logs: () => string[];
  clearLogs: () => void;
  /** Fires the Worker's Cron Trigger handler, as Cloudflare does on schedule. */
  scheduled: (cron: string) => Promise<{ outcome: string }>;
  /** The DEV_SECRET this Worker was given (random per file, unless `vars` set one). */
  devSecret: () => string;
  /**
   * Reloads the Worker with these vars merged over the file's, keeping its storage (D1, R2, the
   * cache): to switch a fault on after state was built without it.
   */
  setVars: (vars: Record<string, string>) => Promise<void>;
}

export interface HarnessOptions {
  /** A function is called when the Worker starts (for values known only then, like a port). */
  vars?: Record<string, string> | (() => Record<string, string>);
  secrets?: Record<string, string>;
  /** Wipe D1 and R2 and re-apply migrations before each test (default true). */
  wipeEachTest?: boolean;
  /**
   * Run without AUTH_SECRET, so the Worker signs with its DEV_SECRET (as `npm start` does without
   * a .dev.vars, and the dev token route exists). Default false: AUTH_SECRET is the test secret below.
   */
  devSecret?: boolean;
}

export function useWorker(options: HarnessOptions = {}): Harness {
  let server!: ReturnType<typeof createTestHarness>;
  let worker!: ReturnType<typeof server.getWorker<WorkerEnv>>;
  let base: URL | undefined;
  let devSecret = "";

  beforeAll(async () => {
    // Every Worker gets a development secret of its own, as each checkout does (npm start).
    const vars = { DEV_SECRET: randomBytes(32).toString("hex"), ...(typeof options.vars === "function" ? options.vars() : options.vars) };
    devSecret = vars.DEV_SECRET;
    server = createTestHarness({
      workers: [
        {
          configPath: "./wrangler.toml",
          prebuiltWorkerDir: "./dist",
          // Rate limits are off unless a file turns them on (rate-limits*.test.ts): the other
          // files send hundreds of requests from one IP and one user on purpose. The edge cache
          // likewise (edge-cache*.test.ts turn it on): the other files wipe and seed D1 behind
          // the API's back between tests, which no deployment does and no purge can see, while
          // the location's cache (which the harness cannot empty) keeps what earlier tests read.
          vars: { ENVIRONMENT: "development", LOG_LEVEL: "info", RATE_LIMITS: "off", EDGE_CACHE: "off", ...vars },
          secrets: { ...(!options.devSecret && { AUTH_SECRET }), ...options.secrets },
        },
      ],
    });
    worker = server.getWorker<WorkerEnv>();
    base = (await server.listen()).url;
    await worker.applyD1Migrations("DB");
    await populateIncrementalCache((await worker.getEnv()).NEXT_INC_CACHE_R2_BUCKET);
  });
  afterAll(() => server?.close());
  if (options.wipeEachTest !== false) {
    beforeEach(async () => {
      await wipe(await worker.getEnv());
      await worker.applyD1Migrations("DB");
      server.clearLogs();
    });
  }

  return {
    url: () => base!,
    fetch: (path, init) => fetch(new URL(path, base), init),
    env: () => worker.getEnv(),
    logs: () => server.getLogs().map((l) => (typeof l.message === "string" ? l.message : JSON.stringify(l))),
    clearLogs: () => server.clearLogs(),
    scheduled: (cron) => worker.scheduled({ cron, scheduledTime: new Date() }),
    devSecret: () => devSecret,
    setVars: (vars) =>
      server.update((current) => ({
        ...current,
        workers: current.workers.map((worker) => ("vars" in worker ? { ...worker, vars: { ...worker.vars, ...vars } } : worker)),
      })),
  };
}

/**
 * Drops every application table (migrations re-create them), empties the bucket and resets
 * Next's incremental cache to what the build prerendered.
 */
export async function wipe(env: WorkerEnv) {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  for (const { name } of results) await env.DB.prepare(`DROP TABLE IF EXISTS "${name}"`).run();
  await empty(env.BUCKET);
  await empty(env.NEXT_INC_CACHE_R2_BUCKET);
  await populateIncrementalCache(env.NEXT_INC_CACHE_R2_BUCKET);
}

async function empty(bucket: R2Bucket) {
  for (;;) {
    const listed = await bucket.list({ limit: 1000 });
    if (listed.objects.length === 0) break;
    await bucket.delete(listed.objects.map((o) => o.key));
  }
}

/** A bearer token for `sub`, signed with the harness's AUTH_SECRET unless `opts.secret` says otherwise. */
export function token(
  sub: string,
  opts: Omit<MintOptions, "sub" | "secret" | "expires"> & { secret?: string; expiresIn?: MintOptions["expires"] } = {},
) {
  const { expiresIn, secret, ...rest } = opts;
  return mintToken({ ...rest, sub, secret: secret ?? AUTH_SECRET, expires: expiresIn });
}

export const bearer = async (sub: string) => ({ authorization: `Bearer ${await token(sub)}` });

export async function problem(res: Response) {
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as {
    type: string;
    title: string;
    status: number;
    detail?: string;
    errors?: Record<string, string[]>;
    requestId: string;
  };
  expect(body.status).toBe(res.status);
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  return body;
}
