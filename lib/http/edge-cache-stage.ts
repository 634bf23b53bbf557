/**
 * The edge cache as a stage of the per-request pipeline (lib/http/route.ts): a route declares
 * how its shared reads are keyed, and the pipeline runs the read through the cache.
 *
 * @example
 * ```ts
 * // a route declaration
 * defineRoute<{ id: string }>({
 *   edgeCache: (c) => ({ url: `${c.url.origin}/api/things/${c.params.id}`, tags: [`thing:${c.params.id}`] }),
 *   GET: …,
 * });
 * // the pipeline, for GET/HEAD of such a route
 * response = await edgeCachedRead(c, { edge: c.edgeCache, rule, report: stamp.cacheStatus }, read);
 * ```
 */
import { CACHE_NAME, type CacheKey, type EdgeCache } from "./edge-cache";

/** A route's cache key for a request, or why its answer is not shared (`Cache-Status` detail). */
export type EdgeCacheKey = CacheKey | { bypass: string };

export type EdgeCacheRule<C> = (c: C) => EdgeCacheKey;

/** `Cache-Status` of a cacheable route's answer that never reached the cache (429, 405, writes). */
export const BYPASS = `${CACHE_NAME}; fwd=bypass`;

/**
 * Why this request's answer may differ from the anonymous one, or null when it is shared.
 * The presence of the header decides, not its validity: a bad token still gets its 401 from
 * the handler, and an empty or malformed bookmark still asks for read-your-writes.
 */
export function bypassReason(request: Request): string | null {
  if (request.headers.has("authorization")) return "authorization";
  if (request.headers.has("x-d1-bookmark")) return "bookmark";
  return null;
}

export interface EdgeCachedReadOptions<C> {
  edge: EdgeCache;
  rule: EdgeCacheRule<C>;
  /** Receives the `Cache-Status` decided so far (the frame sets it on an error answer too). */
  report(cacheStatus: string): void;
}

/**
 * Answers a GET/HEAD from the edge cache when it can, else runs `read` and stores what it
 * answered; a stored copy past freshness answers instead of a D1 outage (stale-if-error).
 */
export async function edgeCachedRead<C extends { request: Request }>(
  c: C,
  { edge, rule, report }: EdgeCachedReadOptions<C>,
  read: () => Promise<Response>,
): Promise<Response> {
  const reason = edge.enabled ? bypassReason(c.request) : null;
  const decided = reason || !edge.enabled ? null : rule(c);
  const key = decided && "url" in decided ? decided : null;
  const bypassDetail = reason ?? (decided && "bypass" in decided ? decided.bypass : undefined);
  const lookup = await edge.lookup(c.request, { key, bypassDetail });
  if (lookup.hit) return lookup.hit;
  report(lookup.status);
  try {
    return await edge.store(lookup, await read());
  } catch (err) {
    const stale = edge.stale(lookup, err);
    if (stale) return stale;
    throw err;
  }
}
