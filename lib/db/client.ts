import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof createDb>;

/**
 * A drizzle client over one request's D1 session. Made per request, never kept globally:
 * a Worker may not reuse I/O objects across requests.
 *
 * drizzle 0.45 types its driver for `D1Database` only, but it calls nothing but `prepare()`
 * and `batch()`, which a `D1DatabaseSession` has too: this cast is the one place that knows.
 */
export function createDb(d1: D1Database | D1DatabaseSession) {
  return drizzle(d1 as D1Database, { schema });
}
