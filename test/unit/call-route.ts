/**
 * Calls a route handler the way the Worker entry does on the lean path: the Worker's env and an
 * execution context bound to the request (bindWorkerContext), and Next's `{ params }` argument.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { bindWorkerContext } from "@/lib/http/context";
import type { NextRouteHandler, Params } from "@/lib/http/route";

export function callRoute(handler: NextRouteHandler, request: Request, params: Params = {}): Promise<Response> {
  bindWorkerContext(request, { env: env as unknown as CloudflareEnv, ctx: createExecutionContext() });
  return handler(request, { params: Promise.resolve(params) });
}
