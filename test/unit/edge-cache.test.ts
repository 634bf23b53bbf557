/**
 * The edge cache's rules on workerd's real Cache API, with a clock the test sets: the exact
 * moments a reader, a writer's purge and the stale-if-error window meet, which the built
 * Worker's tests can only reach by racing (test/integration/edge-cache.test.ts).
 */
import { describe, expect, it } from "vitest";
import { edgeCache, type CacheKey } from "@/lib/http/edge-cache";
import { createLogger } from "@/lib/core/log";

const log = createLogger("error");

/** An edge cache on its own named cache (tests do not share entries), with a settable clock. */
async function setup(name: string) {
  let t = 0;
  const cache = await caches.open(name);
  const edge = edgeCache({ enabled: true, ttlSeconds: 60, staleIfErrorSeconds: 100, log, cache: () => cache, now: () => t });
  return { edge, at: (ms: number) => (t = ms) };
}

const key: CacheKey = { url: "https://api.test/api/posts/p1", tags: ["routeflare:post:p1"] };
const request = () => new Request(key.url);
const answer = (title: string) =>
  new Response(JSON.stringify({ title }), {
    headers: { "content-type": "application/json", etag: `"${title}"`, "cache-control": "public, max-age=0, must-revalidate" },
  });
const noop = () => {};
const outage = new Error("D1_ERROR: Network connection lost.");

describe("edgeCache", () => {
  it("a reader that read before a write's purge cannot re-store the old answer after it", async () => {
    const { edge, at } = await setup("race");
    at(1000);
    const slowReader = await edge.lookup(request(), { key });
    expect(slowReader.status).toBe("Routeflare; fwd=miss");
    // The write commits and purges at t=2000, while the slow reader still holds the old row.
    at(2000);
    await edge.purge({ origin: "https://api.test", tags: key.tags, waitUntil: noop });
    at(2001);
    const stored = await edge.store(slowReader, answer("old"));
    expect(stored.headers.get("cache-status")).toBe("Routeflare; fwd=miss; stored");
    // The next reader does not get it: it read before the purge.
    at(2002);
    const next = await edge.lookup(request(), { key });
    expect(next.hit).toBeNull();
    expect(next.stale).toBeNull();
    // Nor during an outage: a purged copy is never served, not even stale.
    expect(edge.stale(next, outage)).toBeNull();
    // A reader after the purge stores the new answer, which is then a hit.
    await edge.store(next, answer("new"));
    at(2003);
    const hit = await edge.lookup(request(), { key });
    expect(hit.hit).not.toBeNull();
    expect(await hit.hit!.json()).toEqual({ title: "new" });
  });

  it("fresh for ttl, then stale-if-error for the window, then gone; Age and ttl counted from the store", async () => {
    const { edge, at } = await setup("ages");
    at(10_000);
    await edge.store(await edge.lookup(request(), { key }), answer("v"));
    at(10_000 + 59_500);
    const fresh = await edge.lookup(request(), { key });
    expect(fresh.hit!.headers.get("cache-status")).toBe("Routeflare; hit; ttl=0");
    expect(fresh.hit!.headers.get("age")).toBe("59");
    at(10_000 + 61_000);
    const expired = await edge.lookup(request(), { key });
    expect(expired.hit).toBeNull();
    expect(expired.status).toBe("Routeflare; fwd=stale");
    // Not a storage outage: no stale answer (the error is the answer).
    expect(edge.stale(expired, new Error("a bug"))).toBeNull();
    const stale = edge.stale(expired, outage)!;
    expect(stale.headers.get("cache-status")).toBe("Routeflare; hit; detail=stale");
    expect(stale.headers.get("age")).toBe("61");
    at(10_000 + 160_001);
    const gone = await edge.lookup(request(), { key });
    expect(gone.stale).toBeNull();
    expect(edge.stale(gone, outage)).toBeNull();
  });

  it("stores only shared answers: not a 404, not a private one; off stores and serves nothing", async () => {
    const { edge, at } = await setup("storable");
    at(1);
    const miss = await edge.lookup(request(), { key });
    const notFound = await edge.store(miss, new Response("{}", { status: 404 }));
    expect(notFound.headers.get("cache-status")).toBe("Routeflare; fwd=miss");
    const draft = await edge.store(miss, new Response("{}", { headers: { "cache-control": "private, no-store" } }));
    expect(draft.headers.get("cache-status")).toBe("Routeflare; fwd=miss");
    expect((await edge.lookup(request(), { key })).hit).toBeNull();

    const off = edgeCache({ enabled: false, ttlSeconds: 60, staleIfErrorSeconds: 0, log });
    const lookup = await off.lookup(request(), { key });
    expect(lookup.status).toBe("Routeflare; fwd=bypass; detail=off");
    expect((await off.store(lookup, answer("x"))).headers.get("cache-status")).toBe("Routeflare; fwd=bypass; detail=off");
  });
});
