/** D1 row counts, shared by the unit tests (inside workerd) and the integration tests (over HTTP). */

/** A D1 database, or an integration harness whose `env()` holds one. */
export type RowSource = D1Database | { env(): Promise<{ DB: D1Database }> };

/** How many rows `table` holds: the "nothing was written" check after a refused request. */
export async function countRows(source: RowSource, table: string): Promise<number> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  const db = "env" in source ? (await source.env()).DB : source;
  const row = await db.prepare(`SELECT count(*) AS n FROM "${table}"`).first<{ n: number }>();
  return row!.n;
}
