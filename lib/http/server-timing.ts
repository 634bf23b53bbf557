/**
 * `Server-Timing` for every API response: `total` (request start to headers), and `db` (time
 * spent waiting on D1) only when the request used D1 at all, so a client can tell an edge-cache
 * hit from a database read by the header alone.
 *
 * Workers advance their clocks only across I/O (a Spectre mitigation), so `total` is the time
 * spent waiting (D1, the cache, the rate limiter), not CPU; that is the part a far-away client
 * feels and the part the edge cache removes.
 *
 * @example
 * ```ts
 * const timing = serverTiming();
 * const session = timing.timeSession(env.DB.withSession());
 * // … queries …
 * response.headers.set("server-timing", timing.header());
 * ```
 */

import { aroundCalls } from "../db/around-calls";

export interface ServerTiming {
  /** The session with every call it makes (and every statement it prepares) timed as `db`. */
  timeSession(session: D1DatabaseSession): D1DatabaseSession;
  /** The header value: `total;dur=…`, then `db;dur=…` if D1 was called. */
  header(): string;
}

export function serverTiming(now: () => number = () => performance.now()): ServerTiming {
  const start = now();
  let dbMs = 0;
  let dbUsed = false;
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    dbUsed = true;
    const t = now();
    try {
      return await call();
    } finally {
      dbMs += now() - t;
    }
  };
  return {
    timeSession: (session) => aroundCalls(session, timed),
    header() {
      const total = `total;dur=${(now() - start).toFixed(1)}`;
      return dbUsed ? `${total}, db;dur=${dbMs.toFixed(1)}` : total;
    },
  };
}
