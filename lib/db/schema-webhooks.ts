/**
 * Webhook tables. `webhook_events` is the idempotency ledger every scheme writes;
 * `orders` and `subscriptions` are the Stripe side effects. An event row and its side effect are
 * written in one D1 batch (lib/webhooks/record.ts), so either both exist or neither does.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const WEBHOOK_EVENT_STATUSES = ["processed", "ignored"] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    /** The scheme that delivered it: "stripe" | "standard" | "github". Ids are only unique per sender. */
    source: text("source").notNull(),
    /** The sender's id: Stripe's event `id`, `webhook-id`, `X-GitHub-Delivery`. */
    id: text("id").notNull(),
    /** Event type (Stripe `type`, Standard Webhooks payload `type`, `X-GitHub-Event`); null when the sender gives none. */
    type: text("type"),
    /** "processed": a side effect committed with this row. "ignored": verified and recorded, no side effect. */
    status: text("status", { enum: WEBHOOK_EVENT_STATUSES }).notNull(),
    /** The sender's own time for the event, unix seconds (Stripe `created`, `webhook-timestamp`); null for GitHub. */
    eventCreated: integer("event_created"),
    /** When this Worker first accepted it, unix milliseconds. */
    receivedAt: integer("received_at").notNull(),
    /** The x-request-id of the accepting request, to find its log lines. */
    requestId: text("request_id").notNull(),
    /**
     * SHA-256 (hex) of the raw body, for senders whose signature covers only the body (GitHub):
     * there a captured body could be replayed under a fresh delivery id, so the body itself is a
     * dedupe key too. Null for schemes that sign the id (Stripe's id is in the body, Standard
     * Webhooks signs `webhook-id`), where two events may legitimately share a body.
     */
    bodySha256: text("body_sha256"),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.id] }),
    // For pruning old rows (WHERE received_at < ?) once the senders' retry windows have passed.
    index("webhook_events_received_at").on(t.receivedAt),
    // One row per signed body and sender (NULLs, i.e. schemes that do not dedupe by body, never collide).
    uniqueIndex("webhook_events_body").on(t.source, t.bodySha256),
    check("webhook_events_status", sql`${t.status} IN ('processed', 'ignored')`),
  ],
);

/** One row per paid Stripe Checkout Session (`checkout.session.completed`). */
export const orders = sqliteTable("orders", {
  /** The Checkout Session id (cs_...). */
  id: text("id").primaryKey(),
  /** cus_...; null for a guest checkout without a Customer. */
  customer: text("customer"),
  /** Smallest currency unit, as Stripe sends it; null only where Stripe sends null. */
  amountTotal: integer("amount_total"),
  /** Lower-case ISO 4217 code. */
  currency: text("currency"),
  status: text("status").notNull(),
  /** The event that created the row. */
  eventId: text("event_id").notNull(),
  /** Unix milliseconds. */
  createdAt: integer("created_at").notNull(),
});

/** The newest known state of each Stripe subscription (`customer.subscription.*`). */
export const subscriptions = sqliteTable("subscriptions", {
  /** sub_... */
  id: text("id").primaryKey(),
  customer: text("customer").notNull(),
  /** Stripe's status: active, trialing, past_due, canceled, ... */
  status: text("status").notNull(),
  /** Unix seconds; null when the event carries none. */
  currentPeriodEnd: integer("current_period_end"),
  /** The event this state came from. */
  eventId: text("event_id").notNull(),
  /** That event's `created` (unix seconds): an event older than this never overwrites the row. */
  eventCreated: integer("event_created").notNull(),
  /** Tie-break within one second: created (0) < updated (1) < deleted (2). */
  eventRank: integer("event_rank").notNull(),
  /** Unix milliseconds of the last write. */
  updatedAt: integer("updated_at").notNull(),
});

export type OrderRow = typeof orders.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
