/**
 * The event ledger and the Stripe side effects on real local D1 (no mocks): atomicity of the
 * record + effect batch, duplicate detection under concurrency, subscription ordering.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "@/lib/db/client";
import type { VerifiedEvent } from "@/lib/webhooks/define-endpoint";
import { recordEvent, type NewWebhookEvent } from "@/lib/webhooks/record";
import { identifyStripeEvent, stripeHandlers } from "@/lib/webhooks/stripe-events";
import { WebhookRejection } from "@/lib/webhooks/verifier";
import { countRows } from "../rows";

const db = () => createDb(env.DB);
const row = (id: string, status: "processed" | "ignored" = "processed"): NewWebhookEvent => ({
  source: "stripe",
  id,
  type: "t",
  status,
  eventCreated: 1,
  receivedAt: Date.now(),
  requestId: "req-unit",
});

function stripeEvent(id: string, type: string, created: number, object: Record<string, unknown>): VerifiedEvent {
  const payload = { id, object: "event", type, created, data: { object } };
  return { source: "stripe", ...identifyStripeEvent(payload), payload };
}

async function deliver(event: VerifiedEvent) {
  const d = db();
  const effects = stripeHandlers[event.type!]!(event, d, Date.now());
  return recordEvent(d, { ...row(event.id), type: event.type, eventCreated: event.created }, effects);
}

const count = (table: string) => countRows(env.DB, table);

describe("recordEvent", () => {
  it("with a body hash, the same body under a new id is a duplicate, also when the two race", async () => {
    const gh = (id: string, bodySha256: string | null): NewWebhookEvent => ({ ...row(id, "ignored"), source: "github", bodySha256 });
    expect(await recordEvent(db(), gh("d-1", "aa"), [])).toBe("recorded");
    expect(await recordEvent(db(), gh("d-2", "aa"), [])).toBe("duplicate");
    const raced = await Promise.all([recordEvent(db(), gh("d-3", "bb"), []), recordEvent(db(), gh("d-4", "bb"), [])]);
    expect(raced.sort()).toEqual(["duplicate", "recorded"]);
    // Without a hash (schemes that sign their ids) equal bodies never collide.
    expect(await recordEvent(db(), gh("d-5", null), [])).toBe("recorded");
    expect(await recordEvent(db(), gh("d-6", null), [])).toBe("recorded");
    expect(await count("webhook_events")).toBe(4);
  });

  it("records once; the second call is a duplicate", async () => {
    expect(await recordEvent(db(), row("evt_1", "ignored"), [])).toBe("recorded");
    expect(await recordEvent(db(), row("evt_1", "ignored"), [])).toBe("duplicate");
    expect(await count("webhook_events")).toBe(1);
  });

  it("keeps ids of different sources apart", async () => {
    expect(await recordEvent(db(), row("same"), [])).toBe("recorded");
    expect(await recordEvent(db(), { ...row("same"), source: "github" }, [])).toBe("recorded");
    expect(await count("webhook_events")).toBe(2);
  });

  it("lets exactly one of 10 concurrent calls record the event and its effect", async () => {
    const event = stripeEvent("evt_race", "checkout.session.completed", 100, {
      id: "cs_race",
      customer: "cus_1",
      amount_total: 500,
      currency: "eur",
    });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => deliver(event)));
    expect(outcomes.filter((o) => o === "recorded")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(9);
    expect(await count("orders")).toBe(1);
    expect(await count("webhook_events")).toBe(1);
  });

  it("rolls the event row back when the side effect fails, so a retry processes it", async () => {
    const event = stripeEvent("evt_fail", "checkout.session.completed", 100, {
      id: "cs_fail",
      customer: null,
      amount_total: 0,
      currency: "usd",
    });
    await env.DB.exec("ALTER TABLE orders RENAME TO orders_hidden");
    await expect(deliver(event)).rejects.toThrow(/orders/);
    await env.DB.exec("ALTER TABLE orders_hidden RENAME TO orders");
    expect(await count("webhook_events")).toBe(0);
    expect(await deliver(event)).toBe("recorded");
    expect(await env.DB.prepare("SELECT id, customer, amount_total, currency, status, event_id FROM orders").all()).toMatchObject({
      results: [{ id: "cs_fail", customer: null, amount_total: 0, currency: "usd", status: "fulfilled", event_id: "evt_fail" }],
    });
  });
});

describe("Stripe subscription events", () => {
  const sub = (status: string, extra: Record<string, unknown> = {}) => ({
    id: "sub_1",
    object: "subscription",
    customer: "cus_1",
    status,
    current_period_end: 2000,
    ...extra,
  });
  const state = () => env.DB.prepare("SELECT status, current_period_end, event_id FROM subscriptions WHERE id = 'sub_1'").first();

  it("never lets an older event overwrite newer state", async () => {
    await deliver(stripeEvent("evt_upd", "customer.subscription.updated", 200, sub("active", { current_period_end: 3000 })));
    await deliver(stripeEvent("evt_new", "customer.subscription.created", 100, sub("incomplete")));
    expect(await state()).toEqual({ status: "active", current_period_end: 3000, event_id: "evt_upd" });
    await deliver(stripeEvent("evt_del", "customer.subscription.deleted", 300, sub("canceled", { current_period_end: 3000 })));
    await deliver(stripeEvent("evt_upd_late", "customer.subscription.updated", 250, sub("past_due")));
    expect(await state()).toEqual({ status: "canceled", current_period_end: 3000, event_id: "evt_del" });
    expect(await count("webhook_events")).toBe(4); // stale events are still recorded (not redelivered forever)
  });

  it("orders created < updated < deleted within one second", async () => {
    await deliver(stripeEvent("evt_a", "customer.subscription.updated", 500, sub("active")));
    await deliver(stripeEvent("evt_b", "customer.subscription.created", 500, sub("incomplete")));
    expect(await state()).toMatchObject({ status: "active" });
    await deliver(stripeEvent("evt_c", "customer.subscription.deleted", 500, sub("canceled")));
    await deliver(stripeEvent("evt_d", "customer.subscription.updated", 500, sub("active")));
    expect(await state()).toMatchObject({ status: "canceled", event_id: "evt_c" });
  });

  it("reads current_period_end from the items on newer API versions", async () => {
    const items = {
      object: "list",
      data: [
        { id: "si_1", current_period_end: 4200 },
        { id: "si_2", current_period_end: 3900 },
      ],
    };
    await deliver(
      stripeEvent("evt_items", "customer.subscription.created", 10, { id: "sub_1", customer: "cus_1", status: "active", items }),
    );
    expect(await state()).toMatchObject({ current_period_end: 3900 });
  });

  it("refuses an event whose object lacks what the effect needs, writing nothing", async () => {
    const event = stripeEvent("evt_bad", "customer.subscription.updated", 10, { id: "sub_1", status: "active" });
    let err: unknown;
    try {
      await deliver(event);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebhookRejection);
    expect((err as WebhookRejection).errors).toHaveProperty(["data.object.customer"]);
    expect(await count("webhook_events")).toBe(0);
    expect(await count("subscriptions")).toBe(0);
  });

  it("needs only id and type on a Stripe event; created is kept when present", () => {
    expect(identifyStripeEvent({ id: "evt_1", type: "x" })).toEqual({ id: "evt_1", type: "x", created: null });
    expect(() => identifyStripeEvent({ id: "", type: "x", created: 1 })).toThrow(WebhookRejection);
    expect(() => identifyStripeEvent({ id: "evt_1" })).toThrow(WebhookRejection);
    expect(identifyStripeEvent({ id: "evt_1", type: "x", created: 1 })).toEqual({ id: "evt_1", type: "x", created: 1 });
  });

  it("a subscription event without created is refused (its order depends on it); nothing written", async () => {
    const event = { ...stripeEvent("evt_nc", "customer.subscription.updated", 1, sub("active")), created: null };
    delete (event.payload as Record<string, unknown>).created;
    let err: unknown;
    try {
      await deliver(event);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebhookRejection);
    expect((err as WebhookRejection).errors).toHaveProperty(["created"]);
    expect(await count("webhook_events")).toBe(0);
    expect(await count("subscriptions")).toBe(0);
  });
});
