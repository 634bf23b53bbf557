/**
 * The edge cache of public reads: anonymous GET/HEAD answers kept in the Cloudflare location
 * that served them (the Workers Cache API, `caches.default`), so the next anonymous reader
 * there is answered without a D1 round trip. docs/caching.md explains it for a newcomer.
 *
 * A pipeline stage in two halves around the handler, plus the purge writes call:
 *
 * ```ts
 * const edge = edgeCache({ enabled: true, ttlSeconds: 60, staleIfErrorSeconds: 86400, log });
 * // per request (lib/http/route.ts), for a route that declares a cache key:
 * const lookup = await edge.lookup(request, { key: { url, tags: ["post:abc"] } });
 * if (lookup.hit) return lookup.hit;                       // no D1, no handler
 * try {
 *   return await edge.store(lookup, await handler(), { waitUntil });
 * } catch (err) {
 *   return edge.stale(lookup, err) ?? rethrow(err);        // stale-if-error
 * }
 * // after a successful write, before its response:
 * await edge.purge({ origin: url.origin, tags: ["post:abc", "posts"], waitUntil });
 * ```
 *
 * Every answer of a cacheable route carries the outcome in `lookup.status` / the returned
 * `Cache-Status` (RFC 9211), cache name `Routeflare`. Only the parts of an answer that are the
 * same for every anonymous caller are stored (status, body, ETag, Content-Type, the client's
 * Cache-Control); the per-request headers are stamped on every answer, hit or miss, by the same
 * code that stamps every other response.
 *
 * Purges are exact despite readers racing writers: an entry remembers when its D1 read began,
 * and a purge leaves a marker per tag with the time it happened. An entry whose read began
 * before its tag's latest purge is never served (not even stale): a reader that read the old
 * row just before a write cannot re-store it after the write's purge.
 */
import type { Logger } from "../core/log";
import { HttpError } from "../core/problem";
import { isStorageUnavailable } from "./storage-errors";
import { ifNoneMatchHits } from "./conditional";
import { purgeEverywhere, type GlobalPurgeOptions } from "./global-purge";

export const CACHE_NAME = "Routeflare";

export interface EdgeCacheOptions {
  /** Off: nothing is looked up or stored; cacheable routes answer `fwd=bypass; detail=off`. */
  enabled: boolean;
  /** Seconds a stored answer is served fresh. */
  ttlSeconds: number;
  /** Seconds past freshness a stored answer may still be served while D1 fails. */
  staleIfErrorSeconds: number;
  /** Purge in every location through Cloudflare's API; undefined: the local purge only. */
  globalPurge?: GlobalPurgeOptions;
  log: Logger;
  /** The Cache API cache (default `caches.default`, the location's shared cache). */
  cache?: () => Cache;
  /** Wall-clock milliseconds (entries and purge markers are compared across isolates). */
  now?: () => number;
}

/** Where an answer is stored and what purges it. */
export interface CacheKey {
  /** The normalised absolute URL the answer is stored under (one entry per distinct answer). */
  url: string;
  /** Purge tags: a write purges every entry carrying one of its tags. */
  tags: readonly string[];
}

export interface LookupOptions {
  /** The normalised key, or null when this request's answer is not shared (bypass). */
  key: CacheKey | null;
  /** Why `key` is null, for `Cache-Status: …; detail=` (e.g. `query`). */
  bypassDetail?: string;
}

interface StoredCopy {
  response: Response;
  storedAt: number;
}

export interface Lookup {
  /** The `Cache-Status` this request answers with unless the answer changes it. */
  status: string;
  /** A fresh stored answer, ready to send (plus the per-request headers): no handler runs. */
  hit: Response | null;
  /** Store the handler's answer under this key (null: bypass). */
  key: CacheKey | null;
  /** An answer past freshness but within stale-if-error: served only if D1 fails. */
  stale: StoredCopy | null;
  /** When the D1 read that may be stored began (compared with purge markers). */
  readStartedAt: number;
  request: Request;
}

export interface EdgeCache {
  readonly enabled: boolean;
  lookup(request: Request, options: LookupOptions): Promise<Lookup>;
  /** Stores `response` if it is a shared, storable answer; returns it with its `Cache-Status`. */
  store(lookup: Lookup, response: Response): Promise<Response>;
  /** The stale copy to answer with when `err` is a D1 outage and one is kept; else null. */
  stale(lookup: Lookup, err: unknown): Response | null;
  /**
   * Purges every entry tagged with one of `tags` in this location before it resolves, and in
   * every location (when configured) in the background. Never throws: a write that succeeded
   * must not fail because its purge did (logged instead).
   */
  purge(options: { origin: string; tags: readonly string[]; waitUntil(p: Promise<unknown>): void; log?: Logger }): Promise<void>;
}

/** Headers of a stored entry that only the cache reads; never sent to a client. */
const STORED_AT = "x-routeflare-stored-at";
const READ_AT = "x-routeflare-read-at";
const CLIENT_CACHE_CONTROL = "x-routeflare-cache-control";
/** The headers of an answer that are the same for every anonymous caller: the ones kept. */
const SHARED_HEADERS = ["content-type", "etag", "content-language"] as const;

const MARKER_PATH = "/__routeflare/edge-cache/purged/";

/** The options, resolved once per isolate. */
interface Settings {
  enabled: boolean;
  ttlMs: number;
  /** Entries and markers outlive freshness by the stale-if-error window; a marker must outlive every entry it invalidates. */
  keptSeconds: number;
  globalPurge: GlobalPurgeOptions | undefined;
  log: Logger;
  cache: () => Cache;
  now: () => number;
}

export function edgeCache(options: EdgeCacheOptions): EdgeCache {
  const { enabled, ttlSeconds, staleIfErrorSeconds, globalPurge, log } = options;
  const s: Settings = {
    enabled,
    ttlMs: ttlSeconds * 1000,
    keptSeconds: ttlSeconds + staleIfErrorSeconds,
    globalPurge,
    log,
    cache: options.cache ?? (() => (caches as unknown as { default: Cache }).default),
    now: options.now ?? Date.now,
  };
  return {
    enabled,
    lookup: (request, lookupOptions) => lookup(s, request, lookupOptions),
    store: (found, response) => store(s, found, response),
    stale: (found, err) => stale(s, found, err),
    purge: (purgeOptions) => purge(s, purgeOptions),
  };
}

const status = (params: string) => `${CACHE_NAME}; ${params}`;
const markerUrl = (origin: string, tag: string) => `${origin}${MARKER_PATH}${encodeURIComponent(tag)}`;

/** When one of `tags` was last purged in this location (0: never, within the markers' life). */
async function purgedAt(s: Settings, origin: string, tags: readonly string[]): Promise<number> {
  const markers = await Promise.all(tags.map((tag) => s.cache().match(markerUrl(origin, tag))));
  let latest = 0;
  for (const m of markers) {
    if (!m) continue;
    latest = Math.max(latest, Number(m.headers.get(STORED_AT)) || 0);
    void m.body?.cancel();
  }
  return latest;
}

/** A stored entry as this request's answer: its shared headers, `Age`, `Cache-Status`, or a 304. */
function answer(stored: Response, request: Request, cacheStatus: string, ageMs: number): Response {
  const headers = new Headers();
  for (const name of SHARED_HEADERS) {
    const value = stored.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set("cache-control", stored.headers.get(CLIENT_CACHE_CONTROL) ?? "no-store");
  headers.set("age", String(Math.max(0, Math.floor(ageMs / 1000))));
  headers.set("cache-status", cacheStatus);
  const etag = headers.get("etag");
  if (etag !== null && ifNoneMatchHits(request.headers.get("if-none-match"), etag)) {
    void stored.body?.cancel();
    headers.delete("content-type");
    return new Response(null, { status: 304, headers });
  }
  return new Response(stored.body, { status: stored.status, headers });
}

async function lookup(s: Settings, request: Request, { key, bypassDetail }: LookupOptions): Promise<Lookup> {
  const readStartedAt = s.now();
  const miss = { hit: null, stale: null, readStartedAt, request };
  if (!s.enabled) return { ...miss, status: status("fwd=bypass; detail=off"), key: null };
  if (!key) return { ...miss, status: status(`fwd=bypass${bypassDetail ? `; detail=${bypassDetail}` : ""}`), key: null };
  const origin = new URL(key.url).origin;
  const [stored, purged] = await Promise.all([s.cache().match(key.url), purgedAt(s, origin, key.tags)]);
  const storedAt = stored ? Number(stored.headers.get(STORED_AT)) || 0 : 0;
  const readAt = stored ? Number(stored.headers.get(READ_AT)) || 0 : 0;
  // Read before the latest purge of one of its tags: it may predate a write, never serve it.
  const usable = stored !== undefined && readAt > purged;
  const age = s.now() - storedAt;
  // A client's own `Cache-Control` (no-cache, max-age=0) is not obeyed, as Cloudflare's CDN
  // does not by default: fetch() adds `no-cache` to every request with If-None-Match, and
  // honouring it would let any client turn every read into a D1 query. The stored copy is
  // never older than the TTL, and never older than the last write in this location.
  if (usable && age < s.ttlMs) {
    const ttl = Math.max(0, Math.floor((s.ttlMs - age) / 1000));
    return { ...miss, status: "", hit: answer(stored, request, status(`hit; ttl=${ttl}`), age), key };
  }
  const keep = usable && age < s.keptSeconds * 1000;
  if (stored && !keep) void stored.body?.cancel();
  return { ...miss, status: status(stored && usable ? "fwd=stale" : "fwd=miss"), key, stale: keep ? { response: stored, storedAt } : null };
}

async function store(s: Settings, found: Lookup, response: Response): Promise<Response> {
  const { key } = found;
  // A stale copy kept for a D1 failure is not needed once D1 answered.
  void found.stale?.response.body?.cancel();
  const clientCacheControl = response.headers.get("cache-control") ?? "";
  // Only a 200 is shared (a published post, the public list): a 404, an error or a 304
  // never is, nor anything marked `private` (a draft: the route keyed an anonymous read,
  // and only its author can see it, but the representation says what it is).
  const storable = key !== null && response.status === 200 && !/(?:^|,)\s*private\s*(?:,|$)/i.test(clientCacheControl);
  if (!storable) {
    setStatus(response, found.status);
    return response;
  }
  const body = await response.arrayBuffer();
  const headers = new Headers();
  for (const name of SHARED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set("cache-control", `public, max-age=${s.keptSeconds}`);
  headers.set(CLIENT_CACHE_CONTROL, clientCacheControl);
  headers.set(STORED_AT, String(s.now()));
  headers.set(READ_AT, String(found.readStartedAt));
  // What Cloudflare's purge-by-tag API matches in every other location.
  headers.set("cache-tag", key.tags.join(","));
  let stored = true;
  try {
    // Awaited: "stored" in Cache-Status is true when the answer leaves, and the next
    // reader in this location is a hit.
    await s.cache().put(key.url, new Response(body, { status: 200, headers }));
  } catch (err) {
    stored = false;
    s.log.warn("edge cache store failed", { key: key.url, error: err instanceof Error ? err.message : String(err) });
  }
  const out = new Response(body, response);
  setStatus(out, `${found.status}${stored ? "; stored" : ""}`);
  return out;
}

function stale(s: Settings, found: Lookup, err: unknown): Response | null {
  const copy = found.stale;
  if (!copy || err instanceof HttpError || !isStorageUnavailable(err)) return null;
  s.log.warn("D1 unavailable; serving a stale edge-cache copy", { key: found.key?.url });
  return answer(copy.response, found.request, status("hit; detail=stale"), s.now() - copy.storedAt);
}

async function purge(s: Settings, { origin, tags, waitUntil, log: requestLog }: Parameters<EdgeCache["purge"]>[0]): Promise<void> {
  const at = s.now();
  const marker = () => new Response(null, { headers: { "cache-control": `public, max-age=${s.keptSeconds}`, [STORED_AT]: String(at) } });
  try {
    await Promise.all(tags.map((tag) => s.cache().put(markerUrl(origin, tag), marker())));
  } catch (err) {
    (requestLog ?? s.log).error("edge cache purge failed in this location", {
      tags,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  if (s.globalPurge) waitUntil(purgeEverywhere({ ...s.globalPurge, tags, log: requestLog ?? s.log }));
}

function setStatus(response: Response, value: string) {
  if (value) response.headers.set("cache-status", value);
}
