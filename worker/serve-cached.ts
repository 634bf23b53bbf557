/**
 * The Worker's front for API routes that Next serves from its incremental cache: routes with
 * `export const dynamic = "force-static"` (rendered once at build) or `export const revalidate`
 * (rendered again at most once per window). scripts/gen-routes.mjs lists them.
 *
 * Next replays a cached copy with the headers of the request that rendered it — at build, or
 * on some earlier caller's regeneration: that caller's `x-request-id`, its CORS answer for its
 * `Origin`, its D1 bookmark. Served as is, one browser would get another origin's
 * `Access-Control-Allow-Origin`. So the Worker answers these routes through the same request
 * pipeline as every other route (lib/http/pipeline.ts), with Next's cached body as the handler:
 *
 * - `OPTIONS` is the CORS preflight, other methods than GET/HEAD are 405 + `Allow` (Next caches
 *   GET only; neither reaches it);
 * - GET and HEAD go to Next as GET, with this request's id so a render on a cache miss logs and
 *   answers under it, and with none of the client's other headers (a Next-internal one such as
 *   `RSC: 1` would make Next answer with a redirect or another representation);
 * - the per-request headers of the cached copy are dropped and this request's are set:
 *   `x-request-id`, CORS, `nosniff`, the client's own `x-d1-bookmark` echoed back;
 * - `If-None-Match` against the cached ETag answers 304 (Next does not, for route handlers);
 * - a failure Next renders as HTML becomes a problem+json 500.
 *
 * @example
 * ```ts
 * // worker/index.ts
 * const front = cachedRouteFront(openNext);
 * if (router.cached(url.pathname)) return front(request, { params: Promise.resolve({}), direct: { env, ctx, url, params: {} } });
 * ```
 */
import { clientBookmark } from "../lib/db/session";
import { ifNoneMatchHits } from "../lib/http/conditional";
import { pipeline, type NextRouteHandler, type RequestContext } from "../lib/http/pipeline";
import { problemResponse } from "../lib/core/problem";

/**
 * The client headers Next gets: where the request is addressed, and the two that OpenNext's
 * revalidation queue sends to re-render a stale copy in the background. Those act only with the
 * build's secret preview-mode id (Next compares it); with any other value they change nothing.
 */
const FORWARDED = ["host", "x-prerender-revalidate", "x-isr"] as const;

/** Headers of a cached copy that belong to the request that rendered it. */
const REPLAYED = [
  "x-request-id",
  "x-d1-bookmark",
  "vary",
  "access-control-allow-origin",
  "access-control-expose-headers",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-max-age",
  "set-cookie",
  "x-next-cache-tags",
];

/** Asks OpenNext (the cached copy, or a render on a miss) for a request. */
export type AskNext = (request: Request, env: CloudflareEnv, ctx: ExecutionContext) => Promise<Response>;

/** The front: the route pipeline (limit, 405/preflight, errors, stamping) around Next's copy. */
export function cachedRouteFront(next: AskNext): NextRouteHandler {
  return pipeline({
    allowed: ["GET", "HEAD", "OPTIONS"],
    // Counted like every other route's request (a 405 too); a preflight never is, and a 429 is
    // answered before Next is asked.
    policy: () => ({ limited: true, route: undefined }),
    handle: (c) => fromNext(c, { next }),
  });
}

async function fromNext(c: RequestContext, { next }: { next: AskNext }): Promise<Response> {
  const { request, requestId } = c;
  // A cached copy is the same for every caller, so no header of the client's reaches Next but
  // FORWARDED: Next reads its own internal ones (`RSC`, `Next-Router-*`, `Next-Url`, `x-middleware-*`,
  // `x-prerender-*`, …) from any request, and they would switch it to another representation or
  // a redirect. An allowlist, because Next may learn new ones.
  const headers = new Headers({ "x-request-id": requestId });
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const upstream = await next(new Request(request.url, { method: "GET", headers, signal: request.signal }), c.env, c.ctx);
  const type = upstream.headers.get("content-type") ?? "";
  if (upstream.status >= 500 && !type.startsWith("application/problem+json")) {
    void upstream.body?.cancel();
    return problemResponse(500, { type: "internal", detail: "An unexpected error occurred; it has been logged." }, requestId);
  }
  const copy = new Headers(upstream.headers);
  for (const name of REPLAYED) copy.delete(name);
  // The copy has no D1 session of its own: the client's bookmark is still the newest it knows.
  const bookmark = clientBookmark(request);
  if (bookmark) copy.set("x-d1-bookmark", bookmark);
  const etag = copy.get("etag");
  if (upstream.ok && etag !== null && ifNoneMatchHits(request.headers.get("if-none-match"), etag)) {
    void upstream.body?.cancel();
    copy.delete("content-type");
    copy.delete("content-length");
    return new Response(null, { status: 304, headers: copy });
  }
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: copy });
}
