/**
 * CORS for an allowlist of exact origins.
 *
 * @example
 * ```ts
 * const policy = cors({ origins: ["https://app.example.com"] });
 * policy.preflight(request, ["GET", "POST"]); // 204 with Allow-* for an allowed Origin
 * policy.decorate(request, response.headers);  // Allow-Origin + Expose-Headers + Vary
 * ```
 *
 * Rules: the allowed origin is echoed, never `*`; `Vary: Origin` always (the
 * response differs by Origin even when it carries no CORS header, so caches must key on it);
 * no credentials (auth is a bearer token); a disallowed or missing Origin gets no
 * `Access-Control-Allow-*` header at all, but the request itself still runs.
 */

export interface CorsOptions {
  /** Exact `scheme://host[:port]` origins. */
  origins: readonly string[];
  /** Response headers a browser script may read. */
  exposeHeaders?: readonly string[];
  /** Request headers a browser may send. */
  allowHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight. */
  maxAge?: number;
}

export interface CorsPolicy {
  /** The 204 answer to an `OPTIONS` preflight for a route with `methods`. */
  preflight(request: Request, methods: readonly string[]): Response;
  /** Adds the CORS headers an actual (non-preflight) response needs. */
  decorate(request: Request, headers: Headers): void;
}

export const DEFAULT_EXPOSE_HEADERS = [
  "ETag",
  "Location",
  "x-request-id",
  "x-d1-bookmark",
  "Retry-After",
  "RateLimit-Policy",
  "WWW-Authenticate",
  "Cache-Status",
  "Server-Timing",
  "Age",
] as const;

export const DEFAULT_ALLOW_HEADERS = [
  "Content-Type",
  "Authorization",
  "Idempotency-Key",
  "If-Match",
  "If-None-Match",
  "x-request-id",
  "x-d1-bookmark",
] as const;

function appendVary(headers: Headers, value: string) {
  const current = headers.get("vary");
  if (!current) headers.set("vary", value);
  else if (
    !current
      .toLowerCase()
      .split(/\s*,\s*/)
      .includes(value.toLowerCase())
  )
    headers.set("vary", `${current}, ${value}`);
}

export function cors(options: CorsOptions): CorsPolicy {
  // Resolved once: the per-request path is a Set lookup and a few header writes.
  const allowed = new Set(options.origins);
  const expose = (options.exposeHeaders ?? DEFAULT_EXPOSE_HEADERS).join(", ");
  const allowHeaders = (options.allowHeaders ?? DEFAULT_ALLOW_HEADERS).join(", ");
  const maxAge = String(options.maxAge ?? 86400);

  const allowedOrigin = (request: Request): string | null => {
    const origin = request.headers.get("origin");
    return origin !== null && allowed.has(origin) ? origin : null;
  };

  return {
    preflight(request, methods) {
      const headers = new Headers();
      appendVary(headers, "Origin");
      const origin = allowedOrigin(request);
      if (origin) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-allow-methods", methods.join(", "));
        headers.set("access-control-allow-headers", allowHeaders);
        headers.set("access-control-max-age", maxAge);
      }
      return new Response(null, { status: 204, headers });
    },
    decorate(request, headers) {
      appendVary(headers, "Origin");
      const origin = allowedOrigin(request);
      if (origin) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-expose-headers", expose);
      }
    },
  };
}
