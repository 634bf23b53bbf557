/**
 * The lib/ folders that had no test of their own, each on its own, inside workerd with real
 * local D1 and R2: what they promise to the layers above them.
 */
import { env } from "cloudflare:test";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { toMessages, chatRequest } from "@/lib/chat/schemas";
import { resolveConfig, type Env } from "@/lib/config";
import { createLogger, serializeError } from "@/lib/core/log";
import { problemResponse } from "@/lib/core/problem";
import { createDb } from "@/lib/db/client";
import { clientBookmark, openSession } from "@/lib/db/session";
import { partsLedgerStore } from "@/lib/dev/parts-ledger";
import { devObjectKey } from "@/lib/dev/s3";
import { devCredentials, devS3Target } from "@/lib/dev/s3-target";
import { multipartStore, presignTarget } from "@/lib/dev/stand-ins";
import { signDevToken } from "@/lib/dev/token";
import { d1Faults } from "@/lib/faults/d1";
import { withR2Faults } from "@/lib/faults/r2";
import { runDailyMaintenance } from "@/lib/maintenance/daily";
import { readStats } from "@/lib/stats/stats";
import { StoreRefused, multipartStoreFor } from "@/lib/uploads/store";
import { s3TargetFor } from "@/lib/uploads/target";

const config = (vars: Record<string, string>) => resolveConfig(vars as unknown as Env);

describe("core", () => {
  it("serializeError keeps the cause chain; a non-Error is named as such", () => {
    const err = new Error("outer", { cause: new TypeError("inner") });
    expect(serializeError(err)).toMatchObject({ name: "Error", message: "outer", cause: { name: "TypeError", message: "inner" } });
    expect(serializeError("text")).toEqual({ name: "NonError", message: "text" });
  });

  it("a logger writes one JSON line per entry at or above its level, with its bound fields", () => {
    const lines: string[] = [];
    const original = { log: console.log, warn: console.warn };
    console.log = console.warn = (line: string) => void lines.push(line);
    try {
      const log = createLogger("warn", { job: "t" }).with({ requestId: "r1" });
      log.info("dropped");
      log.warn("kept", { n: 1 });
    } finally {
      Object.assign(console, original);
    }
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: "warn", msg: "kept", job: "t", requestId: "r1", n: 1 }),
    ]);
  });

  it("a problem answer is problem+json whose status and request id match", async () => {
    const res = problemResponse(404, { type: "not-found", detail: "gone" }, "req-1");
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toEqual({ type: "/problems/not-found", title: "Not Found", status: 404, detail: "gone", requestId: "req-1" });
  });
});

describe("config", () => {
  it("DEV_SECRET and the fault switches count only in development; AUTH_SECRET always wins", () => {
    const dev = config({ ENVIRONMENT: "development", DEV_SECRET: "d", FAULT_D1: "unavailable", FAULT_R2: "on" });
    expect(dev.auth).toMatchObject({ secret: "d", usesDevSecret: true });
    expect(dev.faults.d1Failures).toBe(Infinity);
    expect(dev.faults.r2Unavailable).toBe(true);
    const prod = config({ ENVIRONMENT: "production", DEV_SECRET: "d", FAULT_D1: "unavailable", FAULT_D1_FAILURES: "3", FAULT_R2: "on" });
    expect(prod.auth).toMatchObject({ secret: undefined, usesDevSecret: false });
    expect(prod.cursorSecret).toBeUndefined();
    expect(prod.faults).toEqual({ d1BatchStatement: undefined, d1Failures: 0, d1LatencyMs: 0, r2Unavailable: false });
    expect(config({ ENVIRONMENT: "development", DEV_SECRET: "d", AUTH_SECRET: "a" }).auth).toMatchObject({
      secret: "a",
      usesDevSecret: false,
    });
  });

  it("only an explicit RATE_LIMITS=off turns the limits off; numbers fall back to their defaults when unusable", () => {
    expect(config({ RATE_LIMITS: "OFF" }).rateLimits).toBe(false);
    expect(config({ RATE_LIMITS: "of" }).rateLimits).toBe(true);
    expect(config({ MAX_JSON_BYTES: "-5" }).maxJsonBytes).toBe(1024 * 1024);
    expect(config({ UPLOAD_URL_TTL_SECONDS: "9999999" }).uploads.urlTtlSeconds).toBe(604800);
  });
});

describe("db", () => {
  it("a client bookmark is used only when well-formed", () => {
    const req = (value: string) => new Request("https://x.test", { headers: { "x-d1-bookmark": value } });
    expect(clientBookmark(req("00000001-00000002-00004e2b-abc"))).toBe("00000001-00000002-00004e2b-abc");
    expect(clientBookmark(req("not a bookmark!"))).toBeNull();
    expect(clientBookmark(new Request("https://x.test"))).toBeNull();
  });
});

describe("faults", () => {
  it("FAULT_D1_FAILURES fails each session's first calls as a lost connection, then lets D1 answer", async () => {
    const faults = d1Faults(config({ ENVIRONMENT: "development", FAULT_D1_FAILURES: "2" }).faults);
    for (const session of [faults(openSession(env.DB, { access: "read" })), faults(openSession(env.DB, { access: "read" }))]) {
      await expect(session.prepare("SELECT 1 AS one").first()).rejects.toThrow(/Network connection lost/);
      await expect(session.batch([session.prepare("SELECT 1")])).rejects.toThrow(/Network connection lost/);
      expect(await session.prepare("SELECT ? AS v").bind(7).first()).toEqual({ v: 7 });
      expect(await session.batch([session.prepare("SELECT 2 AS two")])).toHaveLength(1);
    }
  });

  it("with no D1 switch on, or outside development, a session is handed back as is", () => {
    const session = openSession(env.DB, { access: "read" });
    expect(d1Faults(config({ ENVIRONMENT: "development" }).faults)(session)).toBe(session);
    expect(d1Faults(config({ ENVIRONMENT: "production", FAULT_D1: "unavailable", FAULT_D1_LATENCY_MS: "5" }).faults)(session)).toBe(
      session,
    );
  });

  it("FAULT_R2=on stands a bucket that always fails in for the binding, in development only", async () => {
    const bucket = env.BUCKET;
    await expect(withR2Faults(bucket, config({ ENVIRONMENT: "development", FAULT_R2: "on" }).faults).head("k")).rejects.toThrow(
      /R2 fault injected \(FAULT_R2=on\): head/,
    );
    expect(withR2Faults(bucket, config({ ENVIRONMENT: "production", FAULT_R2: "on" }).faults)).toBe(bucket);
  });

  it("the failing bucket is not a thenable: awaiting it gives the bucket instead of hanging", async () => {
    const failing = withR2Faults(env.BUCKET, config({ ENVIRONMENT: "development", FAULT_R2: "on" }).faults);
    // Compared by identity: a matcher would read properties off the proxy, each a failing call.
    const outcome = await Promise.race([
      (async () => ((await failing) === failing ? "the bucket" : "something else"))(),
      new Promise<string>((resolve) => setTimeout(() => resolve("hung"), 1000)),
    ]);
    expect(outcome).toBe("the bucket");
  });
});

describe("dev", () => {
  it("the dev store serves only its own bucket and the server's own key shape", () => {
    const key = "uploads/alice/0123456789abcdef0123456789abcdef/a.png";
    expect(devObjectKey(["routeflare-uploads", ...key.split("/")], "routeflare-uploads")).toBe(key);
    expect(() => devObjectKey(["other", ...key.split("/")], "routeflare-uploads")).toThrow();
    expect(() => devObjectKey(["routeflare-uploads", "uploads", "alice", "a.png"], "routeflare-uploads")).toThrow();
  });

  it("the parts ledger lists what the binding was sent while the upload is open, and nothing after", async () => {
    const store = partsLedgerStore(env.BUCKET);
    const key = "uploads/alice/0123456789abcdef0123456789abcdef/a.bin";
    const uploadId = await store.create(key, { contentType: "application/octet-stream" });
    const body = new Blob([new Uint8Array(5 << 20)]).stream();
    const etag = await store.uploadPart({ key, uploadId, partNumber: 1, body, size: 5 << 20 });
    expect(await store.listParts(key, uploadId)).toEqual([{ partNumber: 1, etag, size: 5 << 20 }]);
    await store.abort(key, uploadId);
    await expect(store.listParts(key, uploadId)).rejects.toEqual(expect.any(StoreRefused));
    expect((await env.BUCKET.list({ prefix: "dev-s3-parts/" })).objects).toEqual([]);
  });

  it("presigned URLs point at the dev S3 endpoint only when the caller hands it in and it is enabled", async () => {
    const origin = "http://127.0.0.1:8787";
    const notConfigured = { status: 503, init: expect.objectContaining({ type: "uploads-not-configured" }) };
    const dev = config({ ENVIRONMENT: "development", DEV_SECRET: "d" });
    expect(await s3TargetFor(dev, { origin, local: devS3Target })).toEqual({
      endpoint: `${origin}/api/dev-s3`,
      bucket: "routeflare-uploads",
      region: "auto",
      ...(await devCredentials(dev)),
    });
    expect(devCredentials(dev)).toBe(devCredentials(dev)); // derived once per config
    await expect(s3TargetFor(dev, { origin, local: null })).rejects.toMatchObject(notConfigured);
    // Not enabled: outside development, or with no secret to derive its key from.
    for (const vars of [{ ENVIRONMENT: "production", AUTH_SECRET: "a" }, { ENVIRONMENT: "development" }] as Record<string, string>[])
      await expect(s3TargetFor(config(vars), { origin, local: devS3Target })).rejects.toMatchObject(notConfigured);
    // Real credentials win over the stand-in, in development too.
    const r2 = { R2_ACCOUNT_ID: "acct", R2_ACCESS_KEY_ID: "id", R2_SECRET_ACCESS_KEY: "key" };
    expect(await s3TargetFor(config({ ENVIRONMENT: "development", DEV_SECRET: "d", ...r2 }), { origin, local: devS3Target })).toEqual({
      endpoint: "https://acct.r2.cloudflarestorage.com",
      bucket: "routeflare-uploads",
      accessKeyId: "id",
      secretAccessKey: "key",
      region: "auto",
    });
  });

  it("the multipart calls go to the parts ledger only in development without credentials, and only when the caller hands it in", async () => {
    const thrown = (call: () => unknown) => {
      try {
        call();
      } catch (err) {
        return err;
      }
    };
    const notConfigured = { status: 503, init: expect.objectContaining({ type: "uploads-not-configured" }) };
    const bindings = env as unknown as Env;
    const dev = config({ ENVIRONMENT: "development" });
    const store = multipartStore(bindings, dev);
    const key = "uploads/alice/0123456789abcdef0123456789abcdef/b.bin";
    const uploadId = await store.create(key, { contentType: "application/octet-stream" });
    expect(await store.listParts(key, uploadId)).toEqual([]);
    expect((await env.BUCKET.list({ prefix: "dev-s3-parts/" })).objects).not.toEqual([]); // the ledger's open marker
    await store.abort(key, uploadId);
    expect(thrown(() => multipartStoreFor(bindings, dev, { local: null }))).toMatchObject(notConfigured);
    expect(thrown(() => multipartStore(bindings, config({ ENVIRONMENT: "production" })))).toMatchObject(notConfigured);
    expect(presignTarget("http://127.0.0.1:8787")).toEqual({ origin: "http://127.0.0.1:8787", local: devS3Target });
  });

  it("a dev token is an HS256 token for the sub, expiring when it says", async () => {
    const { token, sub, expiresAt } = await signDevToken("s3cret-s3cret-s3cret-s3cret-s3cret", "carol", 60);
    const { payload } = await jwtVerify(token, new TextEncoder().encode("s3cret-s3cret-s3cret-s3cret-s3cret"));
    expect(sub).toBe("carol");
    expect(payload.sub).toBe("carol");
    expect(new Date(expiresAt).getTime()).toBe(payload.exp! * 1000);
  });
});

describe("chat", () => {
  it("the short form is one user message; the long form is passed as is", () => {
    expect(toMessages(chatRequest.parse({ message: "hi" }))).toEqual([{ role: "user", content: "hi" }]);
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
    ] as const;
    expect(toMessages(chatRequest.parse({ messages }))).toEqual(messages);
    expect(chatRequest.safeParse({ message: "" }).success).toBe(false);
    expect(chatRequest.safeParse({ messages: [] }).success).toBe(false);
  });
});

describe("stats and maintenance, on real local D1 and R2", () => {
  it("stats count published posts only", async () => {
    const insert = (id: string, published: number) =>
      env.DB.prepare(
        "INSERT INTO posts (id, author_id, title, content, published, created_at, updated_at, version) VALUES (?, 'a', 't', 'c', ?, 1, 1, 1)",
      )
        .bind(id, published)
        .run();
    await insert("01JAAAAAAAAAAAAAAAAAAAAAA1", 1);
    await insert("01JAAAAAAAAAAAAAAAAAAAAAA2", 0);
    expect((await readStats(createDb(env.DB))).publishedPosts).toBe(1);
  });

  it("the daily job on an empty database deletes nothing and says so", async () => {
    expect(await runDailyMaintenance(env as unknown as Env)).toEqual({ webhookEvents: 0, idempotencyKeys: 0, uncompletedUploads: 0 });
  });
});
