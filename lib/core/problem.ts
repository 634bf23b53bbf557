/**
 * RFC 9457 problem details. Domain code throws `HttpError`; the route wrapper turns it into an
 * `application/problem+json` response carrying the request id.
 */

import { problemType, type ProblemSlug } from "./problem-types";

export type FieldErrors = Record<string, string[]>;

export interface ProblemInit {
  /** One of PROBLEM_TYPES; becomes the `type` URI. */
  type?: ProblemSlug;
  title?: string;
  detail?: string;
  errors?: FieldErrors;
  headers?: HeadersInit;
  /** What caused the answer (an outage, a refused upstream call): logged with it, never sent. */
  cause?: unknown;
}

/** The `title` of each status (what the API sends unless a problem sets its own). */
export const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export class HttpError extends Error {
  readonly status: number;
  readonly init: ProblemInit;

  constructor(status: number, init: ProblemInit = {}) {
    // An HttpError is an answer, not a bug: its stack is never logged, so skip capturing it
    // (profiled: the capture was the largest single cost of a 4xx response).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    // The cause is the Error's own `cause` too, so every reader of errors finds it in one place.
    super(init.detail ?? init.title ?? TITLES[status] ?? `HTTP ${status}`, init.cause === undefined ? undefined : { cause: init.cause });
    Error.stackTraceLimit = limit;
    this.name = "HttpError";
    this.status = status;
    this.init = init;
  }
}

export function problemResponse(status: number, init: ProblemInit, requestId: string): Response {
  const body = {
    type: init.type ? problemType(init.type) : "about:blank",
    title: init.title ?? TITLES[status] ?? "Error",
    status,
    ...(init.detail !== undefined && { detail: init.detail }),
    ...(init.errors !== undefined && { errors: init.errors }),
    requestId,
  };
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/problem+json");
  return new Response(JSON.stringify(body), { status, headers });
}

/**
 * A 400 problem.
 *
 * @example
 * ```ts
 * throw badRequest({ detail: "The request body is not valid JSON.", type: "malformed-json" });
 * ```
 */
export const badRequest = ({ detail, errors, type = "bad-request" }: { detail: string; errors?: FieldErrors; type?: ProblemSlug }) =>
  new HttpError(400, { type, detail, errors });
export const notFound = (detail = "The requested resource does not exist.") => new HttpError(404, { type: "not-found", detail });
export const forbidden = (detail = "You are not allowed to do this.") => new HttpError(403, { type: "forbidden", detail });

/** The 404 for a path no API route serves (also for routes switched off, such as dev-only ones). */
export const noRouteMatches = (pathname: string) => new HttpError(404, { type: "not-found", detail: `No API route matches ${pathname}.` });
