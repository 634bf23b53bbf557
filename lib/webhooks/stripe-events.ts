/**
 * What a verified Stripe event does: the event envelope, and the side effects of the types we
 * act on. Each handler returns statements; they commit in the same batch as the event record.
 *
 * - `checkout.session.completed` → an `orders` row keyed by the session id (status `fulfilled`).
 *   A second event for the same session (never sent by Stripe, but harmless) changes nothing.
 * - `customer.subscription.created|updated|deleted` → upsert of `subscriptions` keyed by the
 *   subscription id, applied only when the event is not older than the stored state: ordered by
 *   the event's `created` (seconds), then by type within one second (created < updated <
 *   deleted), so a late `created` cannot undo an `updated` of the same second. For two events
 *   of one type in the same second, the later delivery wins.
 */
import { sql } from "drizzle-orm";
import * as z from "zod";
import { orders, subscriptions } from "../db/schema-webhooks";
import { fieldErrors, seeErrors } from "../http/validation";
import type { EventHandler, EventIdentity } from "./define-endpoint";
import { WebhookRejection } from "./verifier";

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { errors, omitted } = fieldErrors(result.error);
  throw new WebhookRejection("payload-invalid", `The ${what} is missing fields we need; ${seeErrors(omitted)}`, errors);
}

// Only `id` and `type` are needed to record an event; `created` is recorded when present, and
// required only by the handlers that order events by it (subscriptions).
const stripeEvent = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z.number().int().nonnegative().optional(),
});

/** The envelope: `id` is the dedupe key, `type` picks the side effect, `created` orders events. */
export function identifyStripeEvent(payload: Record<string, unknown>): EventIdentity {
  const event = parse(stripeEvent, payload, "Stripe event");
  return { id: event.id, type: event.type, created: event.created ?? null };
}

const dataObject = <S extends z.ZodType>(object: S) => z.object({ data: z.object({ object }) });

const checkoutSession = dataObject(
  z.object({
    id: z.string().min(1).max(255),
    customer: z.string().nullish(),
    amount_total: z.number().int().nullish(),
    currency: z.string().nullish(),
  }),
);

const fulfilOrder: EventHandler = (event, db, nowMs) => {
  const session = parse(checkoutSession, event.payload, "checkout.session.completed event").data.object;
  return [
    db
      .insert(orders)
      .values({
        id: session.id,
        customer: session.customer ?? null,
        amountTotal: session.amount_total ?? null,
        currency: session.currency?.toLowerCase() ?? null,
        status: "fulfilled",
        eventId: event.id,
        createdAt: nowMs,
      })
      .onConflictDoNothing({ target: orders.id }),
  ];
};

const subscription = z.object({
  // Subscription state is ordered by the event's time, so these events must carry it.
  created: z.number().int().nonnegative(),
  data: z.object({
    object: z.object({
      id: z.string().min(1).max(255),
      customer: z.string().min(1),
      status: z.string().min(1),
      // API versions before 2025-03-31 put the period on the subscription; later ones only on its items.
      current_period_end: z.number().int().nullish(),
      items: z.object({ data: z.array(z.object({ current_period_end: z.number().int().nullish() })) }).nullish(),
    }),
  }),
});

/** Same-second order: a subscription is created, then updated, then deleted. */
const RANK = { "customer.subscription.created": 0, "customer.subscription.updated": 1, "customer.subscription.deleted": 2 } as const;

const upsertSubscription: EventHandler = (event, db, nowMs) => {
  const parsed = parse(subscription, event.payload, `${event.type} event`);
  const sub = parsed.data.object;
  // Items' ends: the earliest is when the subscription next renews (Stripe's own filter on
  // `current_period_end` compares the minimum item end).
  const itemEnds = (sub.items?.data ?? []).map((i) => i.current_period_end).filter((n): n is number => typeof n === "number");
  const currentPeriodEnd = sub.current_period_end ?? (itemEnds.length ? Math.min(...itemEnds) : null);
  const row = {
    id: sub.id,
    customer: sub.customer,
    status: sub.status,
    currentPeriodEnd,
    eventId: event.id,
    eventCreated: parsed.created,
    eventRank: RANK[event.type as keyof typeof RANK],
    updatedAt: nowMs,
  };
  return [
    db
      .insert(subscriptions)
      .values(row)
      .onConflictDoUpdate({
        target: subscriptions.id,
        set: {
          customer: row.customer,
          status: row.status,
          currentPeriodEnd: row.currentPeriodEnd,
          eventId: row.eventId,
          eventCreated: row.eventCreated,
          eventRank: row.eventRank,
          updatedAt: row.updatedAt,
        },
        // Row-value comparison: (created, rank) of this event against the stored state's.
        setWhere: sql`(${row.eventCreated}, ${row.eventRank}) >= ("subscriptions"."event_created", "subscriptions"."event_rank")`,
      }),
  ];
};

export const stripeHandlers: Readonly<Record<string, EventHandler>> = {
  "checkout.session.completed": fulfilOrder,
  "customer.subscription.created": upsertSubscription,
  "customer.subscription.updated": upsertSubscription,
  "customer.subscription.deleted": upsertSubscription,
};
