/**
 * Read queries built once per isolate by drizzle's query builder and run on each request's D1
 * session. Profiling the hot GET showed drizzle building the same SELECT on every request
 * (query builder, dialect, tracing span) as ~15% of the Worker's CPU; the SQL never changes,
 * so it is built once here. A prepared query holds no I/O object: only SQL text and the row
 * mapping, so nothing crosses requests but strings. The schema stays the one source of truth.
 */
import { getTableColumns, is, Placeholder } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

interface Buildable {
  toSQL(): { sql: string; params: unknown[] };
}

export interface PreparedSelect<Row, Params extends Record<string, unknown>> {
  /** All rows, mapped to the table's TypeScript shape. */
  all(d1: D1Database | D1DatabaseSession, params: Params): Promise<Row[]>;
  readonly sql: string;
}

/**
 * `build` must select every column of `table` in table order (`qb.select().from(table)`), with
 * `sql.placeholder(name)` for each runtime value.
 */
export function prepareSelect<T extends SQLiteTable, Params extends Record<string, unknown>>(
  table: T,
  build: () => Buildable,
): PreparedSelect<T["$inferSelect"], Params> {
  // Built at module evaluation, i.e. at isolate start-up, not on the first request that needs it.
  const compiled = build().toSQL();
  const columns = Object.entries(getTableColumns(table));
  const compile = () => compiled;
  return {
    get sql() {
      return compile().sql;
    },
    async all(d1, params) {
      const q = compile();
      const values = q.params.map((p) => (isPlaceholder(p) ? params[p.name] : p));
      const rows = await d1
        .prepare(q.sql)
        .bind(...values)
        .raw();
      return rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) {
          const [key, column] = columns[i]!;
          const value = row[i];
          out[key] = value === null ? null : column.mapFromDriverValue(value);
        }
        return out as T["$inferSelect"];
      });
    },
  };
}

const isPlaceholder = (value: unknown): value is Placeholder<string> => is(value, Placeholder);
