/**
 * The edge cache of public reads (lib/http/edge-cache.ts, docs/caching.md) on the built Worker, with
 * workerd's real Cache API (`caches.default`, emulated by miniflare) and real local D1.
 *
 * D1 is wiped between tests but the location's cache is not (the harness cannot empty it), as in
 * production the cache outlives any one request: every test uses posts of its own, and a test
 * reading the list writes first (a write purges the list).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { newPostId } from "@/lib/posts/ids";
import { bearer, problem, useWorker, type Harness } from "./harness";

interface Post {
  id: string;
  title: string;
  published: boolean;
}

const ALLOWED = "http://localhost:3000";
const HIT = /^Routeflare; hit; ttl=\d+$/;
const STORED = "Routeflare; fwd=miss; stored";

async function createPost(w: Harness, body: Record<string, unknown>, sub = "alice") {
  const res = await w.fetch("/api/posts", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(sub)) },
    body: JSON.stringify({ content: "c", ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Post;
}

async function write(
  w: Harness,
  method: string,
  id: string,
  body?: Record<string, unknown>,
  extra: Record<string, string> = {},
  sub = "alice",
) {
  return w.fetch(`/api/posts/${id}`, {
    method,
    headers: { "content-type": "application/json", ...(await bearer(sub)), ...extra },
    ...(body && { body: JSON.stringify(body) }),
  });
}

const status = (res: Response) => res.headers.get("cache-status");
const timing = (res: Response) => res.headers.get("server-timing") ?? "";
const usedDb = (res: Response) => /(?:^|, )db;dur=/.test(timing(res));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("edge cache on", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "on" } });

  it("a published post: a miss is read from D1 and stored, the next read is a hit without D1", async () => {
    const post = await createPost(w, { title: "cached", published: true });
    const miss = await w.fetch(`/api/posts/${post.id}`);
    expect(miss.status).toBe(200);
    expect(status(miss)).toBe(STORED);
    expect(usedDb(miss)).toBe(true);
    expect(miss.headers.get("x-d1-bookmark")).toBeTruthy();
    const missBody = await miss.text();

    const hit = await w.fetch(`/api/posts/${post.id}`);
    expect(hit.status).toBe(200);
    expect(status(hit)).toMatch(HIT);
    expect(await hit.text()).toBe(missBody);
    for (const h of ["etag", "content-type", "cache-control"]) expect(hit.headers.get(h), h).toBe(miss.headers.get(h));
    expect(hit.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
    expect(Number(hit.headers.get("age"))).toBeGreaterThanOrEqual(0);
    // No D1 query: no bookmark, no db metric.
    expect(hit.headers.get("x-d1-bookmark")).toBeNull();
    expect(timing(hit)).toMatch(/^total;dur=\d+(\.\d+)?$/);
    expect(hit.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("a hit's per-request headers are this request's: request id, CORS for its Origin, never the stored ones", async () => {
    const post = await createPost(w, { title: "per-request", published: true });
    const first = await w.fetch(`/api/posts/${post.id}`, { headers: { origin: ALLOWED, "x-request-id": "first-reader" } });
    expect(status(first)).toBe(STORED);
    expect(first.headers.get("access-control-allow-origin")).toBe(ALLOWED);

    const other = await w.fetch(`/api/posts/${post.id}`, { headers: { origin: "https://evil.example", "x-request-id": "second-reader" } });
    expect(status(other)).toMatch(HIT);
    expect(other.headers.get("x-request-id")).toBe("second-reader");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("vary")).toMatch(/Origin/);

    const allowed = await w.fetch(`/api/posts/${post.id}`, { headers: { origin: "http://localhost:8787" } });
    expect(status(allowed)).toMatch(HIT);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/Cache-Status/);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/Server-Timing/);
    expect(allowed.headers.get("access-control-expose-headers")).toMatch(/Age/);
    expect(allowed.headers.get("x-request-id")).not.toBe("first-reader");
  });

  it("HEAD and If-None-Match are answered from the cache (304 with the ETag)", async () => {
    const post = await createPost(w, { title: "conditional", published: true });
    const miss = await w.fetch(`/api/posts/${post.id}`);
    expect(status(miss)).toBe(STORED);
    const etag = miss.headers.get("etag")!;

    const head = await w.fetch(`/api/posts/${post.id}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(status(head)).toMatch(HIT);
    expect(await head.text()).toBe("");

    const notModified = await w.fetch(`/api/posts/${post.id}`, { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    expect(status(notModified)).toMatch(HIT);
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(usedDb(notModified)).toBe(false);
    expect(await notModified.text()).toBe("");
  });

  it("never stores a draft, a 404 or an error, and never serves one", async () => {
    const draft = await createPost(w, { title: "secret draft", published: false });
    for (let i = 0; i < 2; i++) {
      const res = await w.fetch(`/api/posts/${draft.id}`);
      expect(res.status).toBe(404);
      expect(status(res)).toBe("Routeflare; fwd=miss");
      expect(usedDb(res)).toBe(true);
    }
    // The author reads it (bypass), and it is still not served to anyone else.
    const own = await w.fetch(`/api/posts/${draft.id}`, { headers: await bearer("alice") });
    expect(own.status).toBe(200);
    expect(status(own)).toBe("Routeflare; fwd=bypass; detail=authorization");
    expect(own.headers.get("cache-control")).toBe("private, no-store");
    const anon = await w.fetch(`/api/posts/${draft.id}`);
    expect(anon.status).toBe(404);
    expect(status(anon)).toBe("Routeflare; fwd=miss");

    const junk = await w.fetch(`/api/posts/${encodeURIComponent("'; drop table posts")}`);
    expect(junk.status).toBe(404);
    expect(status(junk)).toBe("Routeflare; fwd=bypass; detail=id");
  });

  it("Authorization (even a bad token) and x-d1-bookmark (even empty) bypass the cache; nothing else is served to them", async () => {
    const post = await createPost(w, { title: "bypass", published: true });
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toBe(STORED);
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toMatch(HIT);

    const bad = await w.fetch(`/api/posts/${post.id}`, { headers: { authorization: "Bearer not-a-token" } });
    expect(bad.status).toBe(401);
    expect(status(bad)).toBe("Routeflare; fwd=bypass; detail=authorization");
    await problem(bad);

    const empty = await w.fetch(`/api/posts/${post.id}`, { headers: { "x-d1-bookmark": "" } });
    expect(empty.status).toBe(200);
    expect(status(empty)).toBe("Routeflare; fwd=bypass; detail=bookmark");
    expect(usedDb(empty)).toBe(true);
    expect(empty.headers.get("x-d1-bookmark")).toBeTruthy();
  });

  it("Cache-Control: no-cache / max-age=0 from the client is not obeyed: still a hit (fetch() adds it to conditional requests)", async () => {
    const post = await createPost(w, { title: "no-cache", published: true });
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toBe(STORED);
    for (const cc of ["no-cache", "max-age=0", "no-store"]) {
      const res = await w.fetch(`/api/posts/${post.id}`, { headers: { "cache-control": cc, pragma: "no-cache" } });
      expect(res.status).toBe(200);
      expect(status(res), cc).toMatch(HIT);
      expect(usedDb(res)).toBe(false);
    }
  });

  it("every successful write purges the post and the list before its response: PATCH, PUT, publish → draft, DELETE, POST", async () => {
    const post = await createPost(w, { title: "v1", published: true });
    const read = async () => {
      const res = await w.fetch(`/api/posts/${post.id}`);
      return { res, body: res.status === 200 ? ((await res.json()) as Post) : null };
    };
    await read();
    expect(status((await read()).res)).toMatch(HIT);

    expect((await write(w, "PATCH", post.id, { title: "v2" })).status).toBe(200);
    let r = await read();
    expect(r.body!.title).toBe("v2");
    expect(status(r.res)).toBe(STORED);

    expect((await write(w, "PUT", post.id, { title: "v3", content: "c3", published: true })).status).toBe(200);
    r = await read();
    expect(r.body!.title).toBe("v3");
    expect(status(r.res)).toBe(STORED);

    // Publish → draft: the public copy must disappear at once.
    expect((await write(w, "PATCH", post.id, { published: false })).status).toBe(200);
    r = await read();
    expect(r.res.status).toBe(404);
    expect(status(r.res)).toBe("Routeflare; fwd=miss");

    expect((await write(w, "PATCH", post.id, { published: true })).status).toBe(200);
    await read();
    expect(status((await read()).res)).toMatch(HIT);
    expect((await write(w, "DELETE", post.id)).status).toBe(204);
    expect((await read()).res.status).toBe(404);

    // The list: a stored first page, then a create shows up at once.
    const list = async () => (await w.fetch("/api/posts?limit=20")).json() as Promise<{ posts: Post[] }>;
    await list();
    const before = await w.fetch("/api/posts?limit=20");
    expect(status(before)).toMatch(HIT);
    const added = await createPost(w, { title: "new on the list", published: true });
    const after = await w.fetch("/api/posts?limit=20");
    expect(status(after)).toBe(STORED);
    expect(((await after.json()) as { posts: Post[] }).posts[0]!.id).toBe(added.id);
  });

  it("a write that fails (412, 403, 404) purges nothing: the stored copy stays a hit", async () => {
    const post = await createPost(w, { title: "kept", published: true });
    await w.fetch(`/api/posts/${post.id}`);
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toMatch(HIT);

    expect((await write(w, "PATCH", post.id, { title: "no" }, { "if-match": '"stale"' })).status).toBe(412);
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toMatch(HIT);
    expect((await write(w, "PATCH", post.id, { title: "no" }, {}, "bob")).status).toBe(403);
    expect(status(await w.fetch(`/api/posts/${post.id}`))).toMatch(HIT);
    expect((await write(w, "DELETE", post.id, undefined, {}, "bob")).status).toBe(403);
    const still = await w.fetch(`/api/posts/${post.id}`);
    expect(status(still)).toMatch(HIT);
    expect(((await still.json()) as Post).title).toBe("kept");
  });

  it("the list's query is normalised: one entry per limit, junk parameters never make new entries", async () => {
    for (let i = 0; i < 6; i++) await createPost(w, { title: `list ${i}`, published: true });
    const first = await w.fetch("/api/posts?limit=20");
    expect(status(first)).toBe(STORED);
    const body20 = await first.text();
    for (const q of ["limit=020", "limit=20&x=1", "x=1&limit=20", "limit=20&utm_source=a&utm_medium=b", "limit=9&limit=20"]) {
      const res = await w.fetch(`/api/posts?${q}`);
      expect(status(res), q).toMatch(HIT);
      expect(await res.text(), q).toBe(body20);
    }
    // No limit is the default 20: the same answer.
    expect(status(await w.fetch("/api/posts"))).toMatch(HIT);

    // Another limit is another answer, never the limit=20 copy.
    const five = await w.fetch("/api/posts?limit=5");
    expect(status(five)).toBe(STORED);
    const page5 = (await five.json()) as { posts: Post[]; limit: number };
    expect(page5.limit).toBe(5);
    expect(page5.posts).toHaveLength(5);
    expect(status(await w.fetch("/api/posts?limit=005"))).toMatch(HIT);

    // What is not the public first page bypasses; what is invalid is a 400, not stored.
    for (const q of ["cursor=abc", "page=1", "drafts=false", "limit=0", "limit=abc", "limit=101"]) {
      const res = await w.fetch(`/api/posts?${q}`);
      expect(status(res), q).toBe("Routeflare; fwd=bypass; detail=query");
    }
    expect((await w.fetch("/api/posts?limit=abc")).status).toBe(400);
  });

  it("every /api response carries Server-Timing, with db only when D1 was used", async () => {
    const health = await w.fetch("/api/health");
    expect(timing(health)).toMatch(/^total;dur=[\d.]+, db;dur=[\d.]+$/);
    const unknown = await w.fetch("/api/nope");
    expect(unknown.status).toBe(404);
    expect(timing(unknown)).toMatch(/^total;dur=[\d.]+$/);
    const openapi = await w.fetch("/api/openapi.json");
    expect(timing(openapi)).toMatch(/^total;dur=[\d.]+$/);
    const preflight = await w.fetch("/api/posts", {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(timing(preflight)).toMatch(/^total;dur=[\d.]+$/);
    const created = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":"t","content":"c"}',
    });
    expect(usedDb(created)).toBe(true);
    expect(status(created)).toBe("Routeflare; fwd=bypass");
  });

  it("50 anonymous readers racing a PATCH never see the old title once the PATCH's response arrived", async () => {
    const post = await createPost(w, { title: "old title", published: true });
    await w.fetch(`/api/posts/${post.id}`);
    let patchedAt = Infinity;
    let stop = false;
    const seen: { startedAt: number; title: string }[] = [];
    const reader = async () => {
      while (!stop) {
        const startedAt = performance.now();
        const res = await w.fetch(`/api/posts/${post.id}`);
        expect(res.status).toBe(200);
        seen.push({ startedAt, title: ((await res.json()) as Post).title });
      }
    };
    const readers = Array.from({ length: 50 }, reader);
    await sleep(100);
    const patched = await write(w, "PATCH", post.id, { title: "new title" });
    patchedAt = performance.now();
    expect(patched.status).toBe(200);
    // Keep reading until every reader has started at least a few reads after the PATCH.
    await expect.poll(() => seen.filter((s) => s.startedAt > patchedAt).length, { timeout: 20_000 }).toBeGreaterThan(150);
    stop = true;
    await Promise.all(readers);
    const after = seen.filter((s) => s.startedAt > patchedAt);
    expect(after.filter((s) => s.title !== "new title")).toEqual([]);
    // The race was real: readers saw the old title before the PATCH.
    expect(seen.some((s) => s.title === "old title")).toBe(true);
  });
});

describe("EDGE_CACHE=off", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "off" } });

  it("nothing is stored or served from the cache; the routes say so", async () => {
    const post = await createPost(w, { title: "uncached", published: true });
    for (let i = 0; i < 2; i++) {
      const res = await w.fetch(`/api/posts/${post.id}`);
      expect(res.status).toBe(200);
      expect(status(res)).toBe("Routeflare; fwd=bypass; detail=off");
      expect(usedDb(res)).toBe(true);
      const list = await w.fetch("/api/posts");
      expect(status(list)).toBe("Routeflare; fwd=bypass; detail=off");
    }
  });
});

describe("rate limits count hits", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "on", RATE_LIMITS: "on" } });

  it("a hit carries RateLimit-Policy and counts: the anonymous limit answers 429 from hits alone", async () => {
    const post = await createPost(w, { title: "limited", published: true });
    // Another IP stores the entry, so every request of this one is a hit.
    expect(status(await w.fetch(`/api/posts/${post.id}`, { headers: { "cf-connecting-ip": "203.0.113.1" } }))).toBe(STORED);
    const ip = { "cf-connecting-ip": "203.0.113.77" };
    // The limits count per fixed 60 s window: start the 600 well inside one.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 25_000) await sleep(left + 250);
    const statuses: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < 600; i = next++) {
          const res = await w.fetch(`/api/posts/${post.id}`, { headers: ip });
          statuses.push(`${res.status} ${/; hit; /.test(status(res) ?? "") ? "hit" : status(res)} ${res.headers.get("ratelimit-policy")}`);
          await res.arrayBuffer();
        }
      }),
    );
    expect(new Set(statuses)).toEqual(new Set(['200 hit "anonymous";q=600;w=60']));
    const limited = await w.fetch(`/api/posts/${post.id}`, { headers: ip });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(status(limited)).toBe("Routeflare; fwd=bypass");
    await problem(limited);
  });
});

describe("stale-if-error: D1 down", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "on", EDGE_CACHE_TTL_SECONDS: "15", EDGE_CACHE_STALE_IF_ERROR_SECONDS: "5" } });

  // Waits out a 15 s TTL and a 5 s window, and reloads the Worker twice.
  it(
    "serves a stored copy past freshness (detail=stale) instead of a 503, within the window only; a purged copy never",
    { timeout: 60_000 },
    async () => {
      const kept = await createPost(w, { title: "survives the outage", published: true });
      const purged = await createPost(w, { title: "purged before the outage", published: true });
      const never = await createPost(w, { title: "never read", published: true });
      const storedAt = Date.now();
      expect(status(await w.fetch(`/api/posts/${kept.id}`))).toBe(STORED);
      expect(status(await w.fetch(`/api/posts/${purged.id}`))).toBe(STORED);
      // Reloading the Worker with the fault takes a few seconds: the TTL (15 s) outlasts it.
      const until = (s: number) => sleep(Math.max(0, storedAt + s * 1000 - Date.now()));
      expect((await write(w, "DELETE", purged.id)).status).toBe(204);

      await w.setVars({ FAULT_D1: "unavailable" });
      try {
        // Fresh: an ordinary hit, outage or not.
        expect(status(await w.fetch(`/api/posts/${kept.id}`))).toMatch(HIT);
        await until(15.5);
        const stale = await w.fetch(`/api/posts/${kept.id}`);
        expect(stale.status).toBe(200);
        expect(status(stale)).toBe("Routeflare; hit; detail=stale");
        expect(Number(stale.headers.get("age"))).toBeGreaterThanOrEqual(15);
        expect(((await stale.json()) as Post).title).toBe("survives the outage");

        const gone = await w.fetch(`/api/posts/${purged.id}`);
        expect(gone.status).toBe(503);
        await problem(gone);
        const unread = await w.fetch(`/api/posts/${never.id}`);
        expect(unread.status).toBe(503);
        expect(unread.headers.get("retry-after")).toBeTruthy();

        // Past ttl + stale-if-error (15 + 5 s): the outage shows.
        await until(21);
        const expired = await w.fetch(`/api/posts/${kept.id}`);
        expect(expired.status).toBe(503);
      } finally {
        await w.setVars({ FAULT_D1: "" });
      }
    },
  );
});

describe("a write that fails on D1 (503)", () => {
  // Every request's first D1 call fails: a read is retried once and succeeds, a write is a 503.
  const w = useWorker({ vars: { EDGE_CACHE: "on", FAULT_D1_FAILURES: "1" } });

  it("purges nothing: the stored copy stays a hit", async () => {
    const id = newPostId(Date.now());
    const now = Date.now();
    await (
      await w.env()
    ).DB.prepare(
      "INSERT INTO posts (id, title, content, published, author_id, created_at, updated_at, version) VALUES (?, 'kept', 'c', 1, 'alice', ?, ?, 1)",
    )
      .bind(id, now, now)
      .run();
    expect(status(await w.fetch(`/api/posts/${id}`))).toBe(STORED);
    expect(status(await w.fetch(`/api/posts/${id}`))).toMatch(HIT);
    const failed = await write(w, "PATCH", id, { title: "lost" });
    expect(failed.status).toBe(503);
    const still = await w.fetch(`/api/posts/${id}`);
    expect(status(still)).toMatch(HIT);
    expect(((await still.json()) as Post).title).toBe("kept");
  });
});

describe("FAULT_D1_LATENCY_MS: a far-away database", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "on", FAULT_D1_LATENCY_MS: "50" } });

  it("every D1 call waits; Server-Timing's db shows it on a miss and a hit has no db at all", async () => {
    const post = await createPost(w, { title: "far", published: true });
    const miss = await w.fetch(`/api/posts/${post.id}`);
    expect(status(miss)).toBe(STORED);
    const db = Number(/db;dur=([\d.]+)/.exec(timing(miss))![1]);
    expect(db).toBeGreaterThanOrEqual(50);
    const hit = await w.fetch(`/api/posts/${post.id}`);
    expect(status(hit)).toMatch(HIT);
    expect(usedDb(hit)).toBe(false);
  });
});

describe("FAULT_D1_LATENCY_MS outside development", () => {
  const w = useWorker({ vars: { EDGE_CACHE: "on", FAULT_D1_LATENCY_MS: "50", ENVIRONMENT: "production" } });

  it("is ignored", async () => {
    const post = await createPost(w, { title: "near", published: true });
    const res = await w.fetch(`/api/posts/${post.id}`);
    expect(Number(/db;dur=([\d.]+)/.exec(timing(res))![1])).toBeLessThan(50);
  });
});

describe("the purge in every location (Cloudflare's purge-by-tag API, a local stand-in)", () => {
  const calls: { path: string; auth: string | undefined; body: { tags: string[] } }[] = [];
  let failing = false;
  const api = createServer((req: IncomingMessage, res) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString()));
    req.on("end", () => {
      calls.push({ path: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(data || "{}") as { tags: string[] } });
      res.writeHead(failing ? 429 : 200, { "content-type": "application/json" });
      res.end(failing ? '{"success":false,"errors":[{"code":1134,"message":"rate limited"}]}' : '{"success":true}');
    });
  });
  const listening = new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const w = useWorker({
    vars: () => ({
      EDGE_CACHE: "on",
      EDGE_CACHE_PURGE_ZONE_ID: "zone-1",
      EDGE_CACHE_PURGE_API_BASE: `http://127.0.0.1:${(api.address() as AddressInfo).port}/client/v4`,
    }),
    secrets: { EDGE_CACHE_PURGE_API_TOKEN: "purge-token" },
  });

  it("a write asks the API to purge its tags everywhere; a failing purge is logged and never fails the write", async () => {
    await listening;
    const post = await createPost(w, { title: "global", published: true });
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toEqual({
      path: "/client/v4/zones/zone-1/purge_cache",
      auth: "Bearer purge-token",
      body: { tags: [`routeflare:post:${post.id}`, "routeflare:posts"] },
    });

    failing = true;
    const patched = await write(w, "PATCH", post.id, { title: "still written" });
    expect(patched.status).toBe(200);
    await expect.poll(() => calls.length).toBe(2);
    await expect.poll(() => w.logs().some((l) => l.includes("edge cache global purge failed") && l.includes('"status":429'))).toBe(true);
    // The local purge happened anyway.
    const read = await w.fetch(`/api/posts/${post.id}`);
    expect(((await read.json()) as Post).title).toBe("still written");

    // A failed write purges nothing, here either.
    expect((await write(w, "PATCH", post.id, { title: "x" }, { "if-match": '"nope"' })).status).toBe(412);
    await sleep(200);
    expect(calls).toHaveLength(2);
    api.close();
  });
});
