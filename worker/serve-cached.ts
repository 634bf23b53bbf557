/**
 * The Worker's front for API routes that Next serves from its incremental cache: routes with
 * `export const dynamic = "force-static"` (rendered once at build) or `export const revalidate`
 * (rendered again at most once per window). scripts/gen-routes.mjs lists them.
 *
 * Next replays a cached copy with the headers of the request that rendered it — at build, or
 * on some earlier caller's regeneration: that caller's `x-request-id`, its CORS answer for its
 * `Origin`, its D1 bookmark. Served as is, one browser would get another origin's
 * `Access-Control-Allow-Origin`. So the Worker answers these routes the way the route wrapper
 * answers every other one, around Next's cached body:
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
 * if (router.cached(url.pathname)) return serveCached(request, env, (req) => openNext(req, env, ctx));
 * ```
 */
import type { Env } from "../lib/config";
import { ifNoneMatchHits } from "../lib/http/conditional";
import { errorResponse } from "../lib/http/error-response";
import { problemResponse } from "../lib/http/problem";
import { requestIdFor } from "../lib/http/request-id";
import { clientBookmark } from "../lib/db/session";
import { methodGate, type Method } from "../lib/http/methods";
import { stampResponse } from "../lib/http/response-headers";
import { runtimeFor } from "../lib/http/runtime";
import { serverTiming } from "../lib/http/server-timing";

const METHODS: readonly Method[] = ["GET", "HEAD", "OPTIONS"];

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

export async function serveCached(request: Request, env: Env, next: (request: Request) => Promise<Response>): Promise<Response> {
  const rt = runtimeFor(env);
  // D1 is used only by a render Next runs in the background, never by this request: total only.
  const timing = serverTiming();
  const requestId = requestIdFor(request);
  const method = request.method.toUpperCase();

  let response: Response;
  let rateLimitPolicy: string | null = null;
  try {
    // Counted like every other route's request (a 405 too, as the route wrapper does); a
    // preflight never is, and a 429 is thrown before Next is asked.
    if (method !== "OPTIONS") {
      let user: Promise<{ id: string } | null> | undefined;
      rateLimitPolicy = await rt.limiter.check({ request, method, route: undefined, user: () => (user ??= rt.auth.authenticate(request)) });
    }
    response = methodGate(request, method, METHODS, rt) ?? (await fromNext(request, method, requestId, next));
  } catch (err) {
    // Whatever fails (OpenNext failing to load or answer included) is a stamped problem, as on every route.
    response = errorResponse(err, { requestId, log: rt.log.with({ requestId, method, path: new URL(request.url).pathname }) });
  }
  // The copy has no D1 session of its own: the client's bookmark is still the newest it knows.
  response = stampResponse(response, { request, requestId, rt, bookmark: clientBookmark(request) });
  if (rateLimitPolicy) response.headers.set("ratelimit-policy", rateLimitPolicy);
  response.headers.set("server-timing", timing.header());
  return response;
}

async function fromNext(
  request: Request,
  method: string,
  requestId: string,
  next: (request: Request) => Promise<Response>,
): Promise<Response> {
  // A cached copy is the same for every caller, so no header of the client's reaches Next but
  // FORWARDED: Next reads its own internal ones (`RSC`, `Next-Router-*`, `Next-Url`, `x-middleware-*`,
  // `x-prerender-*`, …) from any request, and they would switch it to another representation or
  // a redirect. An allowlist, because Next may learn new ones.
  const headers = new Headers({ "x-request-id": requestId });
  for (const name of FORWARDED) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const upstream = await next(new Request(request.url, { method: "GET", headers, signal: request.signal }));
  const type = upstream.headers.get("content-type") ?? "";
  if (upstream.status >= 500 && !type.startsWith("application/problem+json")) {
    void upstream.body?.cancel();
    return problemResponse(500, { type: "internal", detail: "An unexpected error occurred; it has been logged." }, requestId);
  }
  const copy = new Headers(upstream.headers);
  for (const name of REPLAYED) copy.delete(name);
  const etag = copy.get("etag");
  if (upstream.ok && etag !== null && ifNoneMatchHits(request.headers.get("if-none-match"), etag)) {
    void upstream.body?.cancel();
    copy.delete("content-type");
    copy.delete("content-length");
    return new Response(null, { status: 304, headers: copy });
  }
  if (method === "HEAD") void upstream.body?.cancel();
  return new Response(method === "HEAD" ? null : upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: copy,
  });
}
