/**
 * The lean path's router: matches `/api/*` paths against the route table generated from
 * `app/api/**\/route.ts` with the same precedence Next.js uses (static segment, then `[param]`,
 * then `[...catchAll]`), so both paths pick the same route module.
 */
import type { Method, NextRouteHandler, Params } from "../lib/http/route";

export type ApiRouteModule = Partial<Record<Method, NextRouteHandler>>;

type Segment = { kind: "static"; value: string } | { kind: "param"; name: string } | { kind: "catchAll"; name: string };

interface CompiledRoute {
  pattern: string;
  segments: Segment[];
  /** Index of the `[...catchAll]` segment (always the last), or -1. */
  catchAllAt: number;
  module: ApiRouteModule;
}

export interface RouteMatch {
  pattern: string;
  params: Params;
  module: ApiRouteModule;
}

function compile(pattern: string): Segment[] {
  return pattern
    .split("/")
    .filter(Boolean)
    .map((s): Segment => {
      const catchAll = /^\[\.\.\.(.+)\]$/.exec(s);
      if (catchAll) return { kind: "catchAll", name: catchAll[1]! };
      const param = /^\[(.+)\]$/.exec(s);
      if (param) return { kind: "param", name: param[1]! };
      return { kind: "static", value: s };
    });
}

const RANK = { static: 0, param: 1, catchAll: 2 } as const;

function compare(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (!x || !y) return x ? 1 : -1; // the shorter route is the more specific at this point
    const d = RANK[x.kind] - RANK[y.kind];
    if (d !== 0) return d;
  }
  return 0;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchRoute(route: CompiledRoute, parts: string[]): Params | null {
  const { segments, catchAllAt } = route;
  // Cheap refusals first (length, then static segments), so a route that does not match costs
  // no allocation: every request tries the routes in order until one matches.
  if (catchAllAt < 0 ? parts.length !== segments.length : parts.length <= catchAllAt) return null; // [...x] needs a segment
  const end = catchAllAt < 0 ? segments.length : catchAllAt;
  for (let i = 0; i < end; i++) {
    const seg = segments[i]!;
    if (seg.kind === "static" && parts[i] !== seg.value) return null;
  }
  const params: Params = {};
  for (let i = 0; i < end; i++) {
    const seg = segments[i]!;
    if (seg.kind === "param") params[seg.name] = decode(parts[i]!);
  }
  if (catchAllAt >= 0) params[(segments[catchAllAt] as { name: string }).name] = parts.slice(catchAllAt).map(decode);
  return params;
}

export function createRouter(table: readonly { pattern: string; module: ApiRouteModule }[], nextOnly: readonly string[] = []) {
  const routes = table
    .map((r) => {
      const segments = compile(r.pattern);
      return { ...r, segments, catchAllAt: segments.findIndex((s) => s.kind === "catchAll") };
    })
    .sort(compare);
  const skip = new Set(nextOnly);
  // The API's catch-all answers whatever no route claims (also "/api" itself), as problem+json.
  const fallback = routes.find((r) => r.segments.length === 2 && r.segments[1]!.kind === "catchAll");
  const normalize = (pathname: string) => (pathname.length > 4 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname);
  return {
    /** True for an API route Next serves from its incremental cache (see serve-cached.ts). */
    cached(pathname: string): boolean {
      return skip.size > 0 && skip.has(normalize(pathname));
    },
    /**
     * The route module for `pathname`, or null when Next.js should serve it: outside /api, or
     * a route that uses Next's caching. A trailing slash is ignored (an API does not redirect).
     */
    match(pathname: string): RouteMatch | null {
      if (pathname !== "/api" && !pathname.startsWith("/api/")) return null;
      const path = normalize(pathname);
      if (skip.has(path)) return null;
      const parts = path.split("/").filter(Boolean);
      for (const route of routes) {
        const params = matchRoute(route, parts);
        if (params) return { pattern: route.pattern, params, module: route.module };
      }
      return fallback
        ? {
            pattern: fallback.pattern,
            params: { [(fallback.segments[1] as { name: string }).name]: parts.slice(1) },
            module: fallback.module,
          }
        : null;
    },
  };
}
