/**
 * Every Cache-Control the API sends, decided here by name. The route wrapper applies `api`
 * to any response that did not pick a policy.
 *
 * | policy | for |
 * |---|---|
 * | `api` (`no-store`) | authenticated and mutable data: lists, writes, errors, health, uploads |
 * | `published` | a published post: any cache may keep it but must revalidate (ETag → 304) |
 * | `private` | a draft: only its author sees it, nothing may store it |
 * | `document` | the OpenAPI document: changes only with a deploy (ETag-revalidated hourly) |
 * | `snapshot` | `/api/stats`: shared by every caller, revalidated by ETag (the Worker answers from its cache) |
 * | `stream` | SSE: never cached, never transformed (no compression buffering) |
 */
export const CACHE_POLICIES = {
  api: "no-store",
  published: "public, max-age=0, must-revalidate",
  private: "private, no-store",
  document: "public, max-age=3600, stale-while-revalidate=86400",
  snapshot: "public, max-age=0, must-revalidate",
  stream: "no-cache, no-transform",
} as const;

export type CachePolicy = keyof typeof CACHE_POLICIES;

export const cacheControl = (policy: CachePolicy): string => CACHE_POLICIES[policy];
