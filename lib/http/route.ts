/**
 * The route wrapper every `app/api/**\/route.ts` uses: the rules every API response follows
 * live here once (request id, problem+json, 405 + Allow, CORS and preflight, auth, the D1
 * session and its bookmark, default Cache-Control, error logging).
 *
 * @example
 * ```ts
 * // app/api/things/[id]/route.ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ id: string }>({
 *   GET: async (c) => json(await getThing(c.db(), c.params.id)),
 * });
 * ```
 * Every method is exported: those the route lacks answer 405 with `Allow`, `OPTIONS` answers
 * the CORS preflight with the route's own methods, and `HEAD` runs `GET` without the body.
 *
 * A route whose anonymous reads are the same for everyone declares their edge-cache key
 * (`edgeCache:`, lib/edge-cache/stage.ts): its GET/HEAD then go through the cache, and every
 * answer of the route carries `Cache-Status`. Every response of every route gets `Server-Timing`.
 *
 * Rate limits (lib/http/rate-limit.ts) are part of the declaration, one line next to the
 * methods: every route is limited unless it says `rateLimit: false`, and a route names the
 * per-user policy its writes count against:
 * ```ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
 *   rateLimit: "post-writes",
 *   POST: async (c) => json(await createThing(c.db(), await c.requireUser()), { status: 201 }),
 * });
 * ```
 */
import { unauthorized, type User } from "../auth/jwt";
import type { Config, Env } from "../config";
import { createDb, type Db } from "../db/client";
import { withInjectedFaults } from "../db/faults";
import { clientBookmark, openSession } from "../db/session";
import { workerContextFor, type WorkerContext } from "./context";
import { errorResponse } from "./error-response";
import type { Logger } from "./log";
import { METHODS, methodGate, type Method } from "./methods";
import { noRouteMatches } from "./problem";
import { retryingRead } from "./read-retry";
import type { RoutePolicyName } from "./rate-limit-policies";
import { requestIdFor } from "./request-id";
import { stampResponse } from "./response-headers";
import { runtimeFor, type Runtime } from "./runtime";
import { serverTiming } from "./server-timing";
import { BYPASS, edgeCachedRead, type EdgeCacheRule } from "../edge-cache/stage";

// Route modules import the wrapper and the JSON helper together.
export { json } from "./json";
export type { Method };

type HandledMethod = Exclude<Method, "HEAD" | "OPTIONS">;

export type Params = Record<string, string | string[]>;

export interface RequestContext<P extends Params = Params> {
  request: Request;
  url: URL;
  params: P;
  requestId: string;
  env: Env;
  config: Config;
  log: Logger;
  waitUntil(promise: Promise<unknown>): void;
  /** Drizzle over this request's D1 session (started from the client's `x-d1-bookmark`). */
  db(): Db;
  /** The raw D1 session, for the few statements drizzle cannot express. */
  d1(): D1DatabaseSession;
  /** The caller, or null without a token; an invalid token is a 401. */
  user(): Promise<User | null>;
  /** The caller; 401 without a valid token. */
  requireUser(): Promise<User>;
}

export type Handler<P extends Params = Params> = (c: RequestContext<P>) => Response | Promise<Response>;
export type RouteHandlers<P extends Params = Params> = Partial<Record<HandledMethod, Handler<P>>>;

/**
 * The shape Next.js (and the Worker's lean path) calls. The lean path also hands over what it
 * already has (`direct`: env, ctx, the parsed URL and the matched params), so the wrapper needs
 * no lookup by request and no await for the params.
 */
export type NextRouteHandler = (
  request: Request,
  context: { params: Promise<Params>; direct?: WorkerContext & { params: Params } },
) => Promise<Response>;

const READ_METHODS = new Set<string>(["GET", "HEAD", "OPTIONS"]);

/** What dispatch reports back to the frame besides the response. */
interface DispatchState {
  /** The `RateLimit-Policy` value for this request's response (also on errors), if limited. */
  rateLimitPolicy: string | null;
  /** The `Cache-Status` for this response, on routes the edge cache serves (lib/edge-cache). */
  cacheStatus: string | null;
}

type Dispatch<P extends Params> = (c: RequestContext<P>, method: string, rt: Runtime, state: DispatchState) => Response | Promise<Response>;

/**
 * The per-request frame shared by every route: builds the context, runs `dispatch`, turns
 * errors into problems and stamps the headers every response carries. It dispatches on
 * `request.method`, so the same function can stand for every exported method (and for
 * methods no route exports, which the lean path hands to it).
 */
function wrap<P extends Params>(dispatch: Dispatch<P>): NextRouteHandler {
  return async (request, routeContext) => {
    const { direct } = routeContext;
    const { env, ctx, url = new URL(request.url) } = direct ?? workerContextFor(request);
    const rt = runtimeFor(env as Env);
    const method = request.method.toUpperCase();
    const requestId = requestIdFor(request);
    const timing = serverTiming();
    let session: D1DatabaseSession | undefined;
    let db: Db | undefined;
    let user: Promise<User | null> | undefined;
    let userId: string | undefined;
    let log: Logger | undefined;

    const c: RequestContext<P> = {
      request,
      url,
      params: undefined as unknown as P,
      requestId,
      env: env as Env,
      config: rt.config,
      // Built on first use: most requests log nothing.
      get log() {
        return (log ??= rt.log.with({ requestId, method, path: url.pathname }));
      },
      waitUntil: (p) => ctx.waitUntil(p),
      d1() {
        return (session ??= timing.timeSession(
          withInjectedFaults(
            openSession((env as Env).DB, { access: READ_METHODS.has(method) ? "read" : "write", bookmark: clientBookmark(request) }),
            rt.config.faults,
          ),
        ));
      },
      db() {
        return (db ??= createDb(c.d1()));
      },
      user() {
        return (user ??= rt.auth.authenticate(request).then((u) => {
          userId = u?.id;
          return u;
        }));
      },
      async requireUser() {
        const u = await c.user();
        if (!u) {
          // An unusable auth configuration is the operator's problem (503), not the caller's.
          rt.auth.assertConfigured();
          throw unauthorized({ detail: "This endpoint needs a bearer token.", tokenSent: false });
        }
        return u;
      },
    };

    const state: DispatchState = { rateLimitPolicy: null, cacheStatus: null };
    let response: Response;
    try {
      c.params = (direct ? direct.params : ((await routeContext.params) ?? {})) as P;
      response = await dispatch(c, method, rt, state);
    } catch (err) {
      response = errorResponse(err, { requestId, log: c.log, userId });
    }

    response = stampResponse(response, { request, requestId, rt, bookmark: session?.getBookmark() ?? null });
    if (state.rateLimitPolicy) response.headers.set("ratelimit-policy", state.rateLimitPolicy);
    if (state.cacheStatus && !response.headers.has("cache-status")) response.headers.set("cache-status", state.cacheStatus);
    response.headers.set("server-timing", timing.header());
    return response;
  };
}

function everyMethod(handle: NextRouteHandler): Record<Method, NextRouteHandler> {
  return Object.fromEntries(METHODS.map((m) => [m, handle])) as Record<Method, NextRouteHandler>;
}

export interface RouteOptions {
  /**
   * The per-user rate-limit policy this route's writes (POST/PUT/PATCH/DELETE by an
   * authenticated caller) count against; its other requests count against the `authenticated`
   * or `anonymous` policy. `false`: never limited (webhook senders, health monitors).
   * Default: limited, with no policy of its own.
   */
  rateLimit?: RoutePolicyName | false;
  /**
   * When the route exists (default: always). While this is false the route is indistinguishable
   * from an unknown path: every method, OPTIONS included, answers the same 404 and counts
   * against the same limit, so a production server does not reveal its development-only routes.
   *
   * @example
   * ```ts
   * defineRoute({ when: (config) => config.development, POST: … });
   * ```
   */
  when?: (config: Config) => boolean;
}

/**
 * Counts the request against its rate-limit policy and records the `RateLimit-Policy` to send;
 * a 429 is thrown before the handler runs (nothing read, written or streamed).
 */
async function limit(c: RequestContext<Params>, method: string, rt: Runtime, state: DispatchState, route: RoutePolicyName | undefined) {
  state.rateLimitPolicy = await rt.limiter.check({ request: c.request, method, route, user: () => c.user() });
}

/** A route's declaration: its method handlers and its options. */
export type RouteDefinition<P extends Params = Params> = RouteHandlers<P> &
  RouteOptions & {
    /**
     * Anonymous GET/HEAD answers of this route are shared through the edge cache under the key
     * this returns (lib/edge-cache); every answer of the route carries `Cache-Status`.
     */
    edgeCache?: EdgeCacheRule<RequestContext<P>>;
  };

export function defineRoute<P extends Params = Params>(definition: RouteDefinition<P>): Record<Method, NextRouteHandler> {
  const { rateLimit: policy, when, edgeCache: cacheRule, ...handlers } = definition;
  const own = (Object.keys(handlers) as HandledMethod[]).filter((m) => (handlers as RouteHandlers<P>)[m]);
  const allowed: Method[] = METHODS.filter(
    (m) => m === "OPTIONS" || (m === "HEAD" ? own.includes("GET") : own.includes(m as HandledMethod)),
  );
  const limited = policy !== false;
  const routePolicy = policy || undefined;

  return everyMethod(
    wrap<P>(async (c, method, rt, state) => {
      if (when && !when(rt.config)) return unknownPath(c, method, rt, state);
      // Until the cache decides otherwise (a 429 or 405 never reaches it, nor does a write).
      if (cacheRule) state.cacheStatus = rt.edgeCache.enabled ? BYPASS : `${BYPASS}; detail=off`;
      // Before the method gate, so a 405 counts (and says so) too; a preflight never does. A
      // method the route lacks never touches its own policy.
      if (limited && method !== "OPTIONS") await limit(c, method, rt, state, allowed.includes(method as Method) ? routePolicy : undefined);
      const answered = methodGate(c.request, method, allowed, rt);
      if (answered) return answered;
      const handler = (method === "HEAD" ? handlers.GET : handlers[method as HandledMethod])!;
      const read = method === "GET" || method === "HEAD";
      const run = async () => (read ? retryingRead(() => handler(c), { log: c.log }) : handler(c));
      const response = await (read && cacheRule
        ? edgeCachedRead(c, { edge: rt.edgeCache, rule: cacheRule, report: (s) => (state.cacheStatus = s) }, run)
        : run());
      return method === "HEAD" ? new Response(null, response) : response;
    }),
  );
}

/** What a path no route serves answers, for every method. */
async function unknownPath(c: RequestContext<Params>, method: string, rt: Runtime, state: DispatchState): Promise<never> {
  // Probing unknown paths counts like any other request (a preflight does not).
  if (method !== "OPTIONS") await limit(c, method, rt, state, undefined);
  throw noRouteMatches(c.url.pathname);
}

/** Every method, OPTIONS included, answers 404: for the `/api/[...slug]` catch-all. */
export function notFoundRoute(): Record<Method, NextRouteHandler> {
  return everyMethod(wrap(unknownPath));
}
