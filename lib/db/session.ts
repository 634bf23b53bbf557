/**
 * Where a request's D1 session starts (the Sessions API, so reads can come from a replica).
 *
 * - A client that sends the `x-d1-bookmark` of its last response reads at least that fresh,
 *   so it sees its own writes through any replica.
 * - Otherwise reads may be answered by the nearest replica, and writes start at the primary.
 *
 * @example
 * ```ts
 * const session = openSession(env.DB, { access: "read", bookmark: clientBookmark(request) });
 * // … queries …
 * response.headers.set("x-d1-bookmark", session.getBookmark() ?? "");
 * ```
 */

/** Reads may start anywhere; writes must start at the primary. */
export type SessionAccess = "read" | "write";

export interface SessionOptions {
  access: SessionAccess;
  /** A well-formed bookmark to start from (see `clientBookmark`); it wins over `access`. */
  bookmark?: string | null;
}

const BOOKMARK = /^[A-Za-z0-9-]{1,256}$/;

/** The client's `x-d1-bookmark`, when it is well-formed; anything else is ignored. */
export function clientBookmark(request: Request): string | null {
  const sent = request.headers.get("x-d1-bookmark");
  return sent !== null && BOOKMARK.test(sent) ? sent : null;
}

export function openSession(db: D1Database, { access, bookmark }: SessionOptions): D1DatabaseSession {
  return db.withSession(bookmark ?? (access === "read" ? "first-unconstrained" : "first-primary"));
}
