/**
 * Where a route finds its Worker `env` and `ctx`.
 *
 * Under OpenNext, `getCloudflareContext()` reads them from an AsyncLocalStorage that OpenNext's
 * worker sets up around each request. The lean path in worker.ts hands them over directly
 * instead: profiling showed the ALS run (and the async-context propagation it adds to every
 * await) as a visible share of a small request's CPU, and the lean path needs none of it.
 */
import { getCloudflareContext } from "@opennextjs/cloudflare";

export interface WorkerContext {
  env: CloudflareEnv;
  ctx: ExecutionContext;
  /** The request URL, when the caller parsed it already. */
  url?: URL;
}

const bound = new WeakMap<Request, WorkerContext>();

/** Called by worker.ts before dispatching a request to a route module. */
export function bindWorkerContext(request: Request, context: WorkerContext): void {
  bound.set(request, context);
}

export function workerContextFor(request: Request): WorkerContext {
  return bound.get(request) ?? (getCloudflareContext() as unknown as WorkerContext);
}
