/**
 * Deleting what only grows, in bounded batches: each DELETE touches at most `batchSize` rows, so
 * a large backlog becomes many short statements instead of one that holds the database.
 *
 * @example
 * ```ts
 * await pruneInBatches(db, { table: webhookEvents, where: lt(webhookEvents.receivedAt, cutoff) });
 * ```
 */
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";

export interface PruneOptions {
  table: SQLiteTable;
  /** Which rows go. */
  where: SQL;
  /** Rows per DELETE (default 1000). */
  batchSize?: number;
  /** Stop after this many batches (default: until nothing matches). */
  maxBatches?: number;
}

/** Returns how many rows were deleted. */
export async function pruneInBatches(db: Db, { table, where, batchSize = 1000, maxBatches = Infinity }: PruneOptions): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await db.run(sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${batchSize})`);
    const deleted = result.meta.changes ?? 0;
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
