/**
 * The wrapper for API routes whose GET Next keeps in its incremental cache: with
 * `export const dynamic = "force-static"` (rendered once by `next build`) or
 * `export const revalidate = <seconds>` (rendered again at most once per window).
 *
 * Next 16 only caches a route handler that exports nothing but GET and never reads the request
 * (headers, cookies, URL search): either makes it dynamic, silently. Under force-static the
 * request is even a proxy that throws on most properties. So this wrapper exports GET alone
 * and hands the handler no request; what depends on the request (request id, CORS, 304,
 * OPTIONS, 405) is the Worker's job in front of the cache (worker/serve-cached.ts), and
 * scripts/gen-routes.mjs routes these paths there.
 *
 * A failure is thrown, not answered: Next then caches nothing (a 503 would be replayed for a
 * whole window) and keeps serving the last good copy; without one, the caller gets a 500.
 *
 * @example
 * ```ts
 * // app/api/stats/route.ts
 * export const revalidate = 60;
 * export const { GET } = defineCachedRoute({ declaration: api.stats, render: async (c) => json(await readStats(c.db())) });
 * ```
 */
import { getConfig, type Config, type Env } from "../config";
import { createDb, type Db } from "../db/client";
import { openSession } from "../db/session";
import { workerContextFor } from "./context";
import { createLogger, serializeError, type Logger } from "../core/log";
import type { Declaration } from "./declaration";
import type { RouteHandler } from "./route";

export interface CachedRenderContext {
  env: Env;
  config: Config;
  log: Logger;
  /** Drizzle over a D1 session that may read from the nearest replica. */
  db(): Db;
}

export type CachedHandler = (c: CachedRenderContext) => Response | Promise<Response>;

export interface CachedRouteDefinition {
  /** The GET's declaration (the OpenAPI document reads it; the front in the Worker answers every other method). */
  declaration: Declaration;
  render: CachedHandler;
}

export function defineCachedRoute({ declaration, render }: CachedRouteDefinition): { GET: RouteHandler } {
  const GET = async (request: Request) => {
    // Only identity is used here (a WeakMap lookup): reading the request would make it dynamic.
    const { env } = workerContextFor(request);
    const config = getConfig(env);
    const log = createLogger(config.logLevel, { render: "cached" });
    let db: Db | undefined;
    const c: CachedRenderContext = { env, config, log, db: () => (db ??= createDb(openSession(env.DB, { access: "read" }))) };
    try {
      return await render(c);
    } catch (err) {
      log.error("cached render failed", { error: serializeError(err) });
      throw err;
    }
  };
  return { GET: Object.assign(GET, { declared: { GET: declaration } }) };
}
