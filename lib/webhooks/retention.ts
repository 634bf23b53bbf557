/**
 * How long `webhook_events` rows are kept. A row is what makes a redelivery a duplicate, so it
 * must outlive every sender's retry window (Stripe retries for 3 days, Standard Webhooks
 * senders and GitHub less): pruning earlier would let a late retry run its side effect twice.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhookEvents } from "../db/schema-webhooks";

export const MIN_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;
/** Rows per DELETE: keeps each statement short on a large table. */
const BATCH = 1000;

/** Deletes events received more than `days` ago; returns how many went. */
export async function pruneWebhookEvents(db: Db, days: number, now = Date.now()): Promise<number> {
  const cutoff = now - Math.max(days, MIN_RETENTION_DAYS) * DAY_MS;
  let total = 0;
  for (;;) {
    const result = await db.run(
      sql`DELETE FROM ${webhookEvents} WHERE rowid IN (SELECT rowid FROM ${webhookEvents} WHERE ${webhookEvents.receivedAt} < ${cutoff} LIMIT ${BATCH})`,
    );
    const deleted = result.meta.changes ?? 0;
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
