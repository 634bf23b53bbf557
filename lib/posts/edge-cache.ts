/**
 * What the edge cache shares of the posts API (docs/caching.md): a published post by id, and
 * the first page of the public list (one entry per `limit`), with the purge every successful
 * write runs before its response.
 *
 * Keys are normalised from the validated query, not the raw URL: `?limit=020`, `?limit=20&x=1`
 * and reordered parameters are the same answer and the same entry (the handler ignores unknown
 * parameters, so they cannot change the answer), and junk cannot grow the cache past one entry
 * per post and 100 list entries. Anything the handler would answer with something other than
 * the public first page (a cursor, a page, drafts, an invalid limit) bypasses the cache.
 */
import type { EdgeCacheKey } from "../http/edge-cache-stage";
import type { RequestContext } from "../http/route";
import { isPostId } from "./ids";
import { listPostsQuery } from "./schemas";

const postTag = (id: string) => `routeflare:post:${id}`;
const LIST_TAG = "routeflare:posts";

/** `GET /api/posts/<id>`: one entry per post id. */
export function postReadKey(c: RequestContext<{ id: string }>): EdgeCacheKey {
  const { id } = c.params;
  // Not an id this API makes: a 404 whatever the cache holds, and never a new entry.
  if (!isPostId(id)) return { bypass: "id" };
  return { url: `${c.url.origin}/api/posts/${encodeURIComponent(id)}`, tags: [postTag(id)] };
}

/** `GET /api/posts`: the public first page, one entry per `limit`. */
export function postListKey(c: RequestContext): EdgeCacheKey {
  const parsed = listPostsQuery.safeParse(Object.fromEntries(c.url.searchParams));
  if (!parsed.success) return { bypass: "query" };
  const q = parsed.data;
  if (q.cursor !== undefined || q.page !== undefined || q.drafts !== undefined) return { bypass: "query" };
  return { url: `${c.url.origin}/api/posts?limit=${q.limit}`, tags: [LIST_TAG] };
}

/**
 * Purges the post and the public list in this location before resolving (and everywhere, when
 * configured, in the background). Called only after a write succeeded: a write answered 4xx or
 * 503 changed nothing and purges nothing. Never throws (a failed purge is logged).
 */
export async function purgePostReads(c: RequestContext, { id }: { id: string }): Promise<void> {
  await c.edgeCache.purge({ origin: c.url.origin, tags: [postTag(id), LIST_TAG], waitUntil: c.waitUntil, log: c.log });
}
