/**
 * The one request pipeline every `/api/*` answer goes through — route modules on the lean path
 * and through Next, and the Worker's front for Next-cached routes:
 *
 *   context → rate limit → method gate → handler → error answer → stamp
 *
 * `pipeline(stages)` resolves what a route declares once; the per-request work is the function
 * it returns. The limiter and the method gate run before the handler (a 429 or a 405 reads,
 * writes and streams nothing); any error becomes a problem+json answer; every answer, errors
 * included, gets the same headers (request id, CORS, nosniff, Cache-Control, the D1 bookmark,
 * `RateLimit-Policy`, `Server-Timing`, and `Cache-Status` on edge-cached routes).
 *
 * @example
 * ```ts
 * const handle = pipeline({
 *   allowed: ["GET", "HEAD", "OPTIONS"],
 *   policy: () => ({ limited: true, route: undefined }),
 *   handle: async (c) => json({ ok: true }),
 * });
 * ```
 */
import { unauthorized, type User } from "../auth/jwt";
import type { Config, Env } from "../config";
import type { Logger } from "../core/log";
import { createDb, type Db } from "../db/client";
import { clientBookmark, openSession } from "../db/session";
import { workerContextFor, type WorkerContext } from "./context";
import { errorResponse } from "./error-response";
import { methodGate, type Method } from "./methods";
import type { RoutePolicyName } from "./rate-limit-policies";
import { requestIdFor } from "./request-id";
import { stampResponse } from "./response-headers";
import type { EdgeCache } from "./edge-cache";
import { runtimeFor, type Runtime } from "./runtime";
import { serverTiming, type ServerTiming } from "./server-timing";

export type Params = Record<string, string | string[]>;

export interface RequestContext<P extends Params = Params> {
  request: Request;
  url: URL;
  params: P;
  requestId: string;
  env: Env;
  ctx: ExecutionContext;
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
  /** This location's cache of public reads (the isolate's, resolved once): writes purge through it. */
  edgeCache: EdgeCache;
}

/**
 * The shape Next.js (and the Worker's lean path) calls. The lean path also hands over what it
 * already has (`direct`: env, ctx, the parsed URL and the matched params), so the pipeline needs
 * no lookup by request and no await for the params.
 */
export type NextRouteHandler = (
  request: Request,
  context: { params: Promise<Params>; direct?: WorkerContext & { params: Params } },
) => Promise<Response>;

/** What a request counts against: `limited: false` for never, else the route's own policy (if any). */
export interface LimitDecision {
  limited: boolean;
  route: RoutePolicyName | undefined;
}

/** What a stage reports for the stamp, besides the response. */
export interface Stamp {
  /** The `Cache-Status` of this answer (edge-cached routes), replacing the route's default. */
  cacheStatus(value: string): void;
}

export interface PipelineStages<P extends Params> {
  /** The methods the route answers (OPTIONS and, with GET, HEAD included). */
  allowed: readonly Method[];
  /** The rate-limit decision for a method (called only for methods other than OPTIONS). */
  policy: (method: string) => LimitDecision;
  /** Runs for an allowed method other than OPTIONS (HEAD as GET; the body is dropped here). */
  handle: (c: RequestContext<P>, method: string, stamp: Stamp) => Response | Promise<Response>;
  /** The `Cache-Status` every answer of the route carries unless the handler reports another (edge-cached routes). */
  cacheStatus?: (config: Config) => string;
  /** When false, the route answers as an unknown path does (see `defineRoute`'s `when`). */
  exists?: (config: Config) => boolean;
  /** Runs instead of the route while `exists` is false. */
  absent?: (c: RequestContext<P>, method: string, limit: (decision: LimitDecision) => Promise<void>) => Promise<Response>;
}

const READ_METHODS = new Set<string>(["GET", "HEAD", "OPTIONS"]);

export function pipeline<P extends Params>(stages: PipelineStages<P>): NextRouteHandler {
  const { allowed, policy, handle, exists, absent, cacheStatus: defaultCacheStatus } = stages;
  return async (request, routeContext) => {
    const { direct } = routeContext;
    const { env, ctx, url = new URL(request.url) } = direct ?? workerContextFor(request);
    const rt = runtimeFor(env);
    const method = request.method.toUpperCase();
    const timing = serverTiming();
    const frame = requestFrame({ request, url, env, ctx, rt, method, timing });
    // The params are set below, once known: until then the context is typed for this route.
    const c = frame.c as RequestContext<P>;
    let rateLimitPolicy: string | null = null;
    let cacheStatus = defaultCacheStatus?.(rt.config) ?? null;
    const stamp: Stamp = { cacheStatus: (value) => void (cacheStatus = value) };
    // A 429 is thrown before the handler runs (nothing read, written or streamed).
    const limit = async ({ limited, route }: LimitDecision) => {
      if (limited) rateLimitPolicy = await rt.limiter.check({ request, method, route, user: () => c.user() });
    };
    let response: Response;
    try {
      c.params = (direct ? direct.params : ((await routeContext.params) ?? {})) as P;
      if (exists && absent && !exists(rt.config)) {
        response = await absent(c, method, limit);
      } else {
        // Before the method gate, so a 405 counts (and says so) too; a preflight never does.
        if (method !== "OPTIONS") await limit(policy(method));
        response = methodGate({ request, method, allowed, rt }) ?? (await handle(c, method, stamp));
        if (method === "HEAD") response = new Response(null, response);
      }
    } catch (err) {
      response = errorResponse(err, { requestId: c.requestId, log: c.log, userId: frame.userId() });
    }
    response = stampResponse(response, { request, requestId: c.requestId, rt, bookmark: frame.bookmark() });
    if (rateLimitPolicy) response.headers.set("ratelimit-policy", rateLimitPolicy);
    if (cacheStatus && !response.headers.has("cache-status")) response.headers.set("cache-status", cacheStatus);
    response.headers.set("server-timing", timing.header());
    return response;
  };
}

interface FrameOptions {
  request: Request;
  url: URL;
  env: Env;
  ctx: ExecutionContext;
  rt: Runtime;
  method: string;
  /** Times the request's D1 calls for `Server-Timing`. */
  timing: ServerTiming;
}

/** The request's context, with its D1 session, user and logger made on first use. */
function requestFrame({ request, url, env, ctx, rt, method, timing }: FrameOptions) {
  const requestId = requestIdFor(request);
  let session: D1DatabaseSession | undefined;
  let db: Db | undefined;
  let user: Promise<User | null> | undefined;
  let userId: string | undefined;
  let log: Logger | undefined;
  const c: RequestContext<Params> = {
    request,
    url,
    params: {},
    requestId,
    env,
    ctx,
    config: rt.config,
    edgeCache: rt.edgeCache,
    // Built on first use: most requests log nothing.
    get log() {
      return (log ??= rt.log.with({ requestId, method, path: url.pathname }));
    },
    waitUntil: (p) => ctx.waitUntil(p),
    d1() {
      const access = READ_METHODS.has(method) ? "read" : "write";
      return (session ??= timing.timeSession(rt.d1Faults(openSession(env.DB, { access, bookmark: clientBookmark(request) }))));
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
  return { c, userId: () => userId, bookmark: () => session?.getBookmark() ?? null };
}
