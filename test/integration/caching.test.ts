/**
 * The caching modes on the built Worker (docs/caching.md):
 * - static: `/api/openapi.json` is rendered by `next build` and served from that copy;
 * - time-revalidated: `/api/stats` is rendered on its first request, then every caller gets the
 *   cached body for 60 s, then it is rendered again in the background (stale-while-revalidate);
 * - dynamic: everything else renders per request (the posts and health tests show it).
 * Either way the per-request headers are this request's, never the cached copy's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearer, problem, useWorker } from "./harness";
import { buildCacheEntries } from "./next-cache";

const w = useWorker();
const ALLOWED = "http://localhost:3000";

async function publish(title: string, published = true) {
  const res = await w.fetch("/api/posts", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer("alice")) },
    body: JSON.stringify({ title, content: "c", published }),
  });
  expect(res.status).toBe(201);
}

async function stats(init?: RequestInit) {
  const res = await w.fetch("/api/stats", init);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { publishedPosts: number; updatedAt: string };
  return { res, body, cache: res.headers.get("x-nextjs-cache"), etag: res.headers.get("etag") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("static: GET /api/openapi.json is the copy `next build` rendered", () => {
  it("serves the build's copy from the incremental cache, never rendering it again", async () => {
    const built = buildCacheEntries().find((e) => e.body.includes('"/api/openapi.json/route"'));
    expect(built, "the build prerendered /api/openapi.json").toBeDefined();
    const builtEtag = (JSON.parse(built!.body) as { meta: { headers: Record<string, string> } }).meta.headers.etag;

    const res = await w.fetch("/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-nextjs-cache")).toBe("HIT");
    expect(res.headers.get("etag")).toBe(builtEtag);
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600, stale-while-revalidate=86400");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await res.json()) as { openapi: string }).openapi).toMatch(/^3\.1\./);
  });

  it("sets this request's id and CORS, not the cached copy's", async () => {
    const a = await w.fetch("/api/openapi.json", { headers: { "x-request-id": "doc-a", origin: ALLOWED } });
    expect(a.headers.get("x-request-id")).toBe("doc-a");
    expect(a.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(a.headers.get("vary")).toMatch(/Origin/);
    expect(a.headers.get("x-content-type-options")).toBe("nosniff");
    expect(a.headers.get("x-next-cache-tags")).toBeNull();

    const b = await w.fetch("/api/openapi.json", { headers: { origin: "https://evil.example" } });
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get("access-control-allow-origin")).toBeNull();
    const c = await w.fetch("/api/openapi.json");
    expect(c.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("answers If-None-Match with 304, HEAD without a body, OPTIONS as a preflight and other methods with 405", async () => {
    const etag = (await w.fetch("/api/openapi.json")).headers.get("etag")!;
    const notModified = await w.fetch("/api/openapi.json", { headers: { "if-none-match": `W/"x", ${etag}` } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe(etag);
    expect(await notModified.text()).toBe("");
    expect((await w.fetch("/api/openapi.json", { headers: { "if-none-match": '"other"' } })).status).toBe(200);

    const head = await w.fetch("/api/openapi.json", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect(await head.text()).toBe("");

    const preflight = await w.fetch("/api/openapi.json", {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, HEAD, OPTIONS");
    expect(preflight.headers.get("allow")).toBe("GET, HEAD, OPTIONS");

    const post = await w.fetch("/api/openapi.json", { method: "POST", headers: { "x-request-id": "doc-post" } });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await problem(post)).requestId).toBe("doc-post");
  });
});

describe("time-revalidated: GET /api/stats (60 s)", () => {
  it("renders on the first request (the build's placeholder never ships), then every caller gets the cached body", async () => {
    expect(
      buildCacheEntries().some((e) => e.body.includes('"/api/stats/route"')),
      "build placeholder dropped",
    ).toBe(false);
    await publish("one");
    await publish("two");
    await publish("draft", false);

    const first = await stats({ headers: { "x-request-id": "stats-1" } });
    expect(first.cache).toBe("MISS");
    expect(first.body.publishedPosts).toBe(2);
    expect(Date.now() - Date.parse(first.body.updatedAt)).toBeLessThan(60_000);
    expect(first.res.headers.get("x-request-id")).toBe("stats-1");
    expect(first.res.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");

    await publish("three");
    // Within the window: the same body (same snapshot time, same ETag) for every caller.
    for (const origin of [ALLOWED, "https://elsewhere.example", undefined]) {
      const again = await stats({ headers: origin ? { origin } : {} });
      expect(again.cache).toBe("HIT");
      expect(again.body).toEqual(first.body);
      expect(again.etag).toBe(first.etag);
      expect(again.res.headers.get("access-control-allow-origin")).toBe(origin === ALLOWED ? ALLOWED : null);
      expect(again.res.headers.get("x-request-id")).not.toBe("stats-1");
    }
    const notModified = await w.fetch("/api/stats", { headers: { "if-none-match": first.etag! } });
    expect(notModified.status).toBe(304);
  });

  it("echoes the client's D1 bookmark (the snapshot has no session of its own)", async () => {
    const res = await w.fetch("/api/stats", { headers: { "x-d1-bookmark": "0000000a-00000001-00004f8e-abc" } });
    expect(res.headers.get("x-d1-bookmark")).toBe("0000000a-00000001-00004f8e-abc");
    const garbled = await w.fetch("/api/stats", { headers: { "x-d1-bookmark": "not a bookmark; drop" } });
    expect(garbled.status).toBe(200);
    expect(garbled.headers.get("x-d1-bookmark")).toBeNull();
  });

  it("is rendered again after its window: the first late caller gets the old body, later callers the new one", async () => {
    await publish("one");
    const first = await stats();
    expect(first.body.publishedPosts).toBe(1);
    await publish("two");

    // Next's revalidate window is a build-time literal (60), so this test waits it out for real.
    await sleep(60_000 - (Date.now() - Date.parse(first.body.updatedAt)) + 1_500);
    const stale = await stats();
    expect(stale.cache).toBe("STALE");
    expect(stale.body).toEqual(first.body);

    // The Durable Object queue re-renders it in the background through WORKER_SELF_REFERENCE.
    let fresh = stale;
    for (let i = 0; i < 50 && fresh.body.updatedAt === first.body.updatedAt; i++) {
      await sleep(200);
      fresh = await stats();
    }
    expect(fresh.body.publishedPosts).toBe(2);
    expect(Date.parse(fresh.body.updatedAt)).toBeGreaterThan(Date.parse(first.body.updatedAt) + 60_000);
    expect(fresh.cache).toBe("HIT");
    expect(fresh.etag).not.toBe(first.etag);
  }, 90_000);
});

describe("Next-internal headers from a client never change a cached route's answer", () => {
  const NEXT_HEADERS = [
    "rsc",
    "next-router-state-tree",
    "next-router-prefetch",
    "next-router-segment-prefetch",
    "next-url",
    "next-action",
    "next-test-proxy",
    "x-middleware-prefetch",
    "x-middleware-subrequest",
    "x-middleware-invoke",
    "x-prerender-revalidate",
    "x-prerender-revalidate-if-generated",
    "x-isr",
    "x-nextjs-data",
    "x-now-route-matches",
    "x-matched-path",
    "purpose",
  ];
  const value = fc.oneof(
    fc.constantFrom("1", "0", "true", "prefetch", "/", "%5B%22%22%5D", "/api/stats", "x"),
    fc.stringMatching(/^[!-~]{0,40}$/),
  );

  it.each(["/api/stats", "/api/openapi.json"])("%s: the same 200 JSON whatever Next-internal headers come", async (path) => {
    const plain = await w.fetch(path);
    expect(plain.status).toBe(200);
    const expected = await plain.text();
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...NEXT_HEADERS), value, { minKeys: 1 }), async (headers) => {
        const res = await w.fetch(path, { headers, redirect: "manual" });
        expect({ headers, status: res.status, type: res.headers.get("content-type") }).toEqual({
          headers,
          status: 200,
          type: expect.stringMatching(/^application\/json/),
        });
        expect(await res.text()).toBe(expected);
      }),
      { seed: 9, numRuns: 60 },
    );
  });
});
