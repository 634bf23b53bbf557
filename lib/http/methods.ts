/** The HTTP methods a route can answer, and what it answers for the ones it does not handle. */
import { HttpError } from "../core/problem";
import type { Runtime } from "./runtime";

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof METHODS)[number];

/**
 * What a route answers for methods it does not handle itself: the CORS preflight (with `Allow`)
 * for OPTIONS, a 405 problem with `Allow` for anything else; null for a method in `allowed`.
 */
export interface MethodGateOptions {
  request: Request;
  /** The request's method, upper case. */
  method: string;
  /** What the route answers (OPTIONS included). */
  allowed: readonly Method[];
  rt: Runtime;
}

export function methodGate({ request, method, allowed, rt }: MethodGateOptions): Response | null {
  const allow = allowed.join(", ");
  if (method === "OPTIONS") {
    const response = rt.cors.preflight(request, allowed);
    response.headers.set("allow", allow);
    return response;
  }
  if ((allowed as readonly string[]).includes(method)) return null;
  throw new HttpError(405, {
    type: "method-not-allowed",
    detail: `${method} is not supported here. Allowed: ${allow}.`,
    headers: { allow },
  });
}
