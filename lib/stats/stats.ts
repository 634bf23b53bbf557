/**
 * `GET /api/stats`: a snapshot of the API's numbers, regenerated at most once per window by
 * Next's incremental cache (see app/api/stats/route.ts and docs/caching.md).
 */
import { count, eq } from "drizzle-orm";
import { isBuildPrerender } from "../config";
import type { Db } from "../db/client";
import { posts } from "../db/schema";
import { cacheControl } from "../http/cache-control";
import { bodyEtag } from "../http/etag";
import { BUILD_PLACEHOLDER_HEADER } from "./build-placeholder";
import type { Stats } from "./schemas";

export async function readStats(db: Db): Promise<Stats> {
  // Counted on the (published, created_at, id) index: a covering scan, once per window.
  const [row] = await db.select({ n: count() }).from(posts).where(eq(posts.published, true));
  return { publishedPosts: row?.n ?? 0, updatedAt: new Date().toISOString() };
}

export async function statsResponse(db: () => Db): Promise<Response> {
  const building = isBuildPrerender();
  const body = JSON.stringify(building ? { publishedPosts: 0, updatedAt: new Date(0).toISOString() } : await readStats(db()));
  const headers = new Headers({
    "content-type": "application/json",
    etag: await bodyEtag(body),
    "cache-control": cacheControl("snapshot"),
  });
  if (building) headers.set(BUILD_PLACEHOLDER_HEADER, "1");
  return new Response(body, { headers });
}
