/**
 * The idempotency ledger: an event row in `webhook_events` and its side effects, in one D1
 * batch (a transaction: all statements commit or none does).
 *
 * Duplicates are detected without parsing error messages. A plain lookup answers the common
 * case (a redelivery after we answered). Concurrent deliveries of one event may all pass it;
 * the primary key on (source, id) (and, for senders that dedupe by body, the unique index on
 * (source, body hash)) then lets exactly one batch commit, and every other batch
 * fails and rolls back. A failed batch is a duplicate exactly when the row exists afterwards;
 * otherwise it was the side effect (or D1) that failed, nothing was kept, and a retry will
 * process the event.
 */
import { and, eq, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { webhookEvents } from "../db/schema-webhooks";

export type NewWebhookEvent = typeof webhookEvents.$inferInsert;
export type Effect = BatchItem<"sqlite">;

/** Known by its id, or (for senders that dedupe by body) by the hash of its signed body. */
async function isRecorded(db: Db, event: NewWebhookEvent): Promise<boolean> {
  const sameId = eq(webhookEvents.id, event.id);
  const sameBody = event.bodySha256 ? eq(webhookEvents.bodySha256, event.bodySha256) : undefined;
  const rows = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(and(eq(webhookEvents.source, event.source), sameBody ? or(sameId, sameBody) : sameId))
    .limit(1);
  return rows.length > 0;
}

/** "recorded" when this call committed the event (and its effects); "duplicate" when it already was. */
export async function recordEvent(db: Db, event: NewWebhookEvent, effects: readonly Effect[]): Promise<"recorded" | "duplicate"> {
  if (await isRecorded(db, event)) return "duplicate";
  try {
    await db.batch([db.insert(webhookEvents).values(event), ...effects]);
    return "recorded";
  } catch (err) {
    if (await isRecorded(db, event)) return "duplicate";
    throw err;
  }
}
