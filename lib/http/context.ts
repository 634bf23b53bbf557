/**
 * Where a route finds its Worker `env` and `ctx`.
 *
 * Under OpenNext, `getCloudflareContext()` reads them from an AsyncLocalStorage that OpenNext's
 * worker sets up around each request. The lean path in worker/index.ts hands them to the route
 * wrapper directly instead (its `direct` argument): profiling showed the ALS run (and the
 * async-context propagation it adds to every await) as a visible share of a small request's CPU,
 * and the lean path needs none of it. Code that calls a route module the way Next does, with
 * `{ params }` only (the unit tests), binds them to the request here first.
 */
import { getCloudflareContext } from "@opennextjs/cloudflare";
import { isBuildPrerender, type Env } from "../config";

export interface WorkerContext {
  env: Env;
  ctx: ExecutionContext;
  /** The request URL, when the caller parsed it already. */
  url?: URL;
}

const bound = new WeakMap<Request, WorkerContext>();

/** Binds env/ctx to a request for a route module called without `direct` (see above). */
export function bindWorkerContext(request: Request, context: WorkerContext): void {
  bound.set(request, context);
}

/**
 * What a route sees while `next build` prerenders it: no bindings at all. A prerendered route
 * must not need any (a fresh clone has no database at build time); one that touches `c.db()`
 * here fails the build loudly instead of baking a local database into the deploy.
 */
const BUILD_CONTEXT: WorkerContext = {
  env: {} as Env,
  ctx: { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
};

export function workerContextFor(request: Request): WorkerContext {
  const direct = bound.get(request);
  if (direct) return direct;
  // Checked before getCloudflareContext(): at build, next.config's initOpenNextCloudflareForDev
  // would hand out the local dev bindings, and a prerender must not read local data.
  if (isBuildPrerender()) return BUILD_CONTEXT;
  return getCloudflareContext() as unknown as WorkerContext;
}
