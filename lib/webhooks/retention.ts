/**
 * How long `webhook_events` rows are kept. A row is what makes a redelivery a duplicate, so it
 * must outlive every sender's retry window (Stripe retries for 3 days, Standard Webhooks
 * senders and GitHub less): pruning earlier would let a late retry run its side effect twice.
 */
import { lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { pruneInBatches } from "../db/prune";
import { webhookEvents } from "../db/schema-webhooks";

export const MIN_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

/** Deletes events received more than `days` ago; returns how many went. */
export async function pruneWebhookEvents(db: Db, days: number, now = Date.now()): Promise<number> {
  const cutoff = now - Math.max(days, MIN_RETENTION_DAYS) * DAY_MS;
  return pruneInBatches(db, { table: webhookEvents, where: lt(webhookEvents.receivedAt, cutoff) });
}
