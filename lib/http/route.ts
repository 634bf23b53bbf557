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
 */
import { createAuthenticator, unauthorized, type Authenticator, type User } from "../auth/jwt";
import { getConfig, type Config, type Env } from "../config";
import { createDb, type Db } from "../db/client";
import { clientBookmark, openSession } from "../db/session";
import { workerContextFor } from "./context";
import { cacheControl } from "./cache-control";
import { cors, type CorsPolicy } from "./cors";
import { createLogger, serializeError, type Logger } from "./log";
import { HttpError, problemResponse } from "./problem";
import { requestIdFor } from "./request-id";
import { isStorageUnavailable } from "./storage-errors";
import { withInjectedFaults } from "../db/faults";

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof METHODS)[number];
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

/** The shape Next.js (and the Worker's lean path) calls. */
export type NextRouteHandler = (request: Request, context: { params: Promise<Params> }) => Promise<Response>;

/** Per-isolate state, resolved once per `env` object. */
export interface Runtime {
  config: Config;
  cors: CorsPolicy;
  auth: Authenticator;
  log: Logger;
}
const runtimes = new WeakMap<object, Runtime>();

export function runtimeFor(env: Env): Runtime {
  let rt = runtimes.get(env);
  if (!rt) {
    const config = getConfig(env);
    rt = {
      config,
      cors: cors({ origins: config.corsAllowedOrigins }),
      auth: createAuthenticator({ auth: config.auth, development: config.development }),
      log: createLogger(config.logLevel),
    };
    runtimes.set(env, rt);
  }
  return rt;
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { ...init, headers });
}

const READ_METHODS = new Set<string>(["GET", "HEAD", "OPTIONS"]);

function withHeaders(response: Response): Response {
  // Responses built by fetch() or Response.redirect() have immutable headers.
  try {
    response.headers.set("x-content-type-options", "nosniff");
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("x-content-type-options", "nosniff");
    return copy;
  }
}

type Dispatch<P extends Params> = (c: RequestContext<P>, method: string, rt: Runtime) => Response | Promise<Response>;

/**
 * The per-request frame shared by every route: builds the context, runs `dispatch`, turns
 * errors into problems and stamps the headers every response carries. It dispatches on
 * `request.method`, so the same function can stand for every exported method (and for
 * methods no route exports, which the lean path hands to it).
 */
function wrap<P extends Params>(dispatch: Dispatch<P>): NextRouteHandler {
  return async (request, routeContext) => {
    const { env, ctx, url = new URL(request.url) } = workerContextFor(request);
    const rt = runtimeFor(env as Env);
    const method = request.method.toUpperCase();
    const requestId = requestIdFor(request);
    let session: D1DatabaseSession | undefined;
    let db: Db | undefined;
    let user: Promise<User | null> | undefined;
    let userId: string | undefined;

    const c: RequestContext<P> = {
      request,
      url,
      params: undefined as unknown as P,
      requestId,
      env: env as Env,
      config: rt.config,
      log: rt.log.with({ requestId, method, path: url.pathname }),
      waitUntil: (p) => ctx.waitUntil(p),
      d1() {
        return (session ??= withInjectedFaults(
          openSession((env as Env).DB, { access: READ_METHODS.has(method) ? "read" : "write", bookmark: clientBookmark(request) }),
          rt.config.faults,
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

    let response: Response;
    try {
      c.params = ((await routeContext.params) ?? {}) as P;
      response = await dispatch(c, method, rt);
    } catch (err) {
      response = errorResponse(err, c, userId);
    }

    return stampResponse(response, request, requestId, rt, session?.getBookmark() ?? null);
  };
}

/**
 * The headers every API response carries: nosniff, the request id, a Cache-Control (`api`
 * unless the handler chose one), CORS for this request's Origin, and the newest D1 bookmark.
 */
export function stampResponse(response: Response, request: Request, requestId: string, rt: Runtime, bookmark: string | null): Response {
  response = withHeaders(response);
  const h = response.headers;
  h.set("x-request-id", requestId);
  if (!h.has("cache-control")) h.set("cache-control", cacheControl("api"));
  rt.cors.decorate(request, h);
  if (bookmark) h.set("x-d1-bookmark", bookmark);
  return response;
}

/**
 * What a route answers for methods it does not handle itself: the CORS preflight (with `Allow`)
 * for OPTIONS, a 405 problem with `Allow` for anything else; null for a method in `allowed`.
 */
export function methodGate(request: Request, method: string, allowed: readonly Method[], rt: Runtime): Response | null {
  const allow = allowed.join(", ");
  if (method === "OPTIONS") {
    const response = rt.cors.preflight(request, allowed);
    response.headers.set("allow", allow);
    return response;
  }
  if ((allowed as readonly string[]).includes(method)) return null;
  throw new HttpError(405, { type: "method-not-allowed", detail: `${method} is not supported here. Allowed: ${allow}.`, headers: { allow } });
}

function everyMethod(handle: NextRouteHandler): Record<Method, NextRouteHandler> {
  return Object.fromEntries(METHODS.map((m) => [m, handle])) as Record<Method, NextRouteHandler>;
}

export function defineRoute<P extends Params = Params>(handlers: RouteHandlers<P>): Record<Method, NextRouteHandler> {
  const own = (Object.keys(handlers) as HandledMethod[]).filter((m) => handlers[m]);
  const allowed: Method[] = METHODS.filter((m) => m === "OPTIONS" || (m === "HEAD" ? own.includes("GET") : own.includes(m as HandledMethod)));

  return everyMethod(
    wrap<P>(async (c, method, rt) => {
      const answered = methodGate(c.request, method, allowed, rt);
      if (answered) return answered;
      const handler = (method === "HEAD" ? handlers.GET : handlers[method as HandledMethod])!;
      const response = await handler(c);
      return method === "HEAD" ? new Response(null, response) : response;
    }),
  );
}

/**
 * An HttpError is the answer it describes (logged when it carries a cause). Anything else
 * is logged in full and answered 503 + Retry-After when storage is unavailable (D1/R2 report a
 * transient failure), else 500; neither answer carries the error's text.
 */
function errorResponse(err: unknown, c: RequestContext<Params>, userId: string | undefined): Response {
  const log = userId ? c.log.with({ userId }) : c.log;
  if (err instanceof HttpError) {
    if (err.init.cause !== undefined) log.error("request failed", { status: err.status, type: err.init.type, error: serializeError(err.init.cause ?? err) });
    return problemResponse(err.status, err.init, c.requestId);
  }
  log.error("request failed", { error: serializeError(err) });
  if (isStorageUnavailable(err)) {
    return problemResponse(
      503,
      { type: "storage-unavailable", detail: "Storage is temporarily unavailable; retry shortly.", headers: { "retry-after": "1" } },
      c.requestId,
    );
  }
  return problemResponse(500, { type: "internal", detail: "An unexpected error occurred; it has been logged." }, c.requestId);
}

/** Every method, OPTIONS included, answers 404: for the `/api/[...slug]` catch-all. */
export function notFoundRoute(): Record<Method, NextRouteHandler> {
  return everyMethod(
    wrap((c) => {
      throw new HttpError(404, { type: "not-found", detail: `No API route matches ${c.url.pathname}.` });
    }),
  );
}
