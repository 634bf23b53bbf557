/**
 * A route file's one call: its endpoints, by method, each a declaration and a handler
 * (lib/http/endpoint.ts). The path is the route's folder; everything else about an endpoint is
 * in its declaration, which the pipeline (lib/http/pipeline.ts) validates by and limits by, and
 * which the OpenAPI document is assembled from.
 *
 * @example
 * ```ts
 * // app/api/things/[id]/route.ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ id: string }>({
 *   GET: endpoint(api.readThing, async (c) => json(await readThing(c.db(), c.params.id))),
 * });
 * ```
 * Every method is exported: those the route lacks answer 405 with `Allow`, `OPTIONS` answers
 * the CORS preflight with the route's own methods, and `HEAD` runs `GET` without the body. A
 * GET or HEAD that fails because storage was briefly unavailable is run once more
 * (lib/http/read-retry.ts).
 *
 * A route whose anonymous reads are the same for everyone names their edge-cache key
 * (`edgeCache:`, lib/http/edge-cache-stage.ts): its GET/HEAD then go through the cache, and every
 * answer of the route carries `Cache-Status`.
 */
import type { Config } from "../config";
import { noRouteMatches } from "../core/problem";
import type { Declaration } from "./declaration";
import { BYPASS, edgeCachedRead, type EdgeCacheRule } from "./edge-cache-stage";
import { readInput, type Endpoint } from "./endpoint";
import { METHODS, type Method } from "./methods";
import { pipeline, type LimitDecision, type NextRouteHandler, type Params, type RequestContext, type Stamp } from "./pipeline";
import { retryingRead } from "./read-retry";

// Route modules import these with the wrapper.
export { json } from "./json";
export { endpoint } from "./endpoint";
export type { Method };
export type { NextRouteHandler, Params, RequestContext };

export type HandledMethod = Exclude<Method, "HEAD" | "OPTIONS">;

/** The declarations a route module serves, by method: what the OpenAPI assembly reads. */
export type Declared = Partial<Record<HandledMethod, Declaration>>;

/** Every method's export is this one function; it carries the route's declarations. */
export type RouteHandler = NextRouteHandler & { readonly declared: Declared };

export interface RouteOptions {
  /**
   * When the route exists (default: always). While this is false the route is indistinguishable
   * from an unknown path: every method, OPTIONS included, answers the same 404 and counts
   * against the same limit, so a production server does not reveal its development-only routes.
   *
   * @example
   * ```ts
   * defineRoute({ when: (config) => config.development, POST: endpoint(…) });
   * ```
   */
  when?: (config: Config) => boolean;
}

/** A route: its endpoints by method, and its options. */
export type RouteDefinition<P extends Params = Params> = RouteOptions & {
  /**
   * Anonymous GET/HEAD answers of this route are shared through the edge cache under the key
   * this returns; every answer of the route carries `Cache-Status`.
   */
  edgeCache?: EdgeCacheRule<RequestContext<P>>;
} & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each endpoint keeps its own declaration's type
  [M in HandledMethod]?: Endpoint<any, P>;
};

export function defineRoute<P extends Params = Params>(definition: RouteDefinition<P>): Record<Method, RouteHandler> {
  const { when, edgeCache: cacheRule, ...byMethod } = definition;
  const endpoints = byMethod as Partial<Record<HandledMethod, Endpoint<Declaration, P>>>;
  const own = (Object.keys(endpoints) as HandledMethod[]).filter((m) => endpoints[m]);
  const allowed = METHODS.filter((m) => m === "OPTIONS" || (m === "HEAD" ? own.includes("GET") : own.includes(m as HandledMethod)));
  // A method the route lacks counts as an ordinary request, unless nothing on the route is limited.
  const anyLimited = own.some((m) => endpoints[m]!.declaration.rateLimit !== false);
  const policy = (method: string): LimitDecision => {
    const declared = endpoints[(method === "HEAD" ? "GET" : method) as HandledMethod]?.declaration;
    if (!declared) return { limited: anyLimited, route: undefined };
    return { limited: declared.rateLimit !== false, route: declared.rateLimit || undefined };
  };
  const handle = async (c: RequestContext<P>, method: string, stamp: Stamp) => {
    const { declaration, handle } = endpoints[(method === "HEAD" ? "GET" : method) as HandledMethod]!;
    const run = async () => handle(c, await readInput(c as RequestContext, declaration));
    if (method !== "GET" && method !== "HEAD") return run();
    const read = () => retryingRead(run, { log: c.log });
    if (!cacheRule) return read();
    return edgeCachedRead(c, { edge: c.edgeCache, rule: cacheRule, report: stamp.cacheStatus }, read);
  };
  // Until the cache decides otherwise (a 429, a 405 or a write never reaches it).
  const cacheStatus = cacheRule ? (config: Config) => (config.edgeCache.enabled ? BYPASS : `${BYPASS}; detail=off`) : undefined;
  const declared = Object.fromEntries(own.map((m) => [m, endpoints[m]!.declaration])) as Declared;
  return everyMethod(Object.assign(pipeline<P>({ allowed, policy, handle, cacheStatus, exists: when, absent: unknownPath }), { declared }));
}

/** What a path no route serves answers, for every method: a 404 problem, counted like any request but a preflight. */
async function unknownPath(c: RequestContext<Params>, method: string, limit: (d: LimitDecision) => Promise<void>): Promise<never> {
  if (method !== "OPTIONS") await limit({ limited: true, route: undefined });
  throw noRouteMatches(c.url.pathname);
}

/** Every method, OPTIONS included, answers 404: for the `/api/[...slug]` catch-all. */
export function notFoundRoute(): Record<Method, RouteHandler> {
  const handler = pipeline({
    allowed: METHODS,
    policy: () => ({ limited: false, route: undefined }),
    handle: () => new Response(null, { status: 404 }),
    exists: () => false,
    absent: unknownPath,
  });
  return everyMethod(Object.assign(handler, { declared: {} }));
}

function everyMethod(handle: RouteHandler): Record<Method, RouteHandler> {
  return Object.fromEntries(METHODS.map((m) => [m, handle])) as Record<Method, RouteHandler>;
}
