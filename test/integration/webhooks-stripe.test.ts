/**
 * POST /api/webhooks/stripe on the built Worker. Signatures come from the `stripe` package's
 * own test signer (Node crypto), never from our verifier.
 */
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { problem, useWorker } from "./harness";
import { chunked, count, expectNothingWritten, expectRejectionLogged, logLines, MiB, rows } from "./webhooks-fixtures";

const SECRET = "whsec_integration_current";
const ROTATED = "whsec_integration_previous";
const w = useWorker({ secrets: { STRIPE_WEBHOOK_SECRET: `${SECRET}, ${ROTATED}` } });

const now = () => Math.floor(Date.now() / 1000);
const sign = (payload: string, secret = SECRET, timestamp = now()) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
const v1 = (header: string) => header.split("v1=")[1]!;

let seq = 0;
function event(type: string, object: Record<string, unknown>, opts: { id?: string; created?: number } = {}) {
  return JSON.stringify({
    id: opts.id ?? `evt_${++seq}_${Date.now()}`,
    object: "event",
    api_version: "2025-10-29.clover",
    created: opts.created ?? now(),
    livemode: false,
    type,
    data: { object },
  });
}
const session = (id = "cs_test_1") => ({
  id,
  object: "checkout.session",
  customer: "cus_123",
  amount_total: 4200,
  currency: "eur",
  mode: "payment",
  payment_status: "paid",
});

function post(body: BodyInit, headers: Record<string, string> = {}, init: RequestInit = {}) {
  return w.fetch("/api/webhooks/stripe", { method: "POST", headers: { "content-type": "application/json", ...headers }, body, ...init });
}
const deliver = (body: string, secret = SECRET, timestamp = now()) => post(body, { "stripe-signature": sign(body, secret, timestamp) });

describe("POST /api/webhooks/stripe: accepted events", () => {
  it("fulfils an order for checkout.session.completed and records the event", async () => {
    const body = event("checkout.session.completed", session(), { id: "evt_checkout", created: 1_760_000_000 });
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ received: true });

    expect(await rows(w, "SELECT id, customer, amount_total, currency, status, event_id FROM orders")).toEqual([
      { id: "cs_test_1", customer: "cus_123", amount_total: 4200, currency: "eur", status: "fulfilled", event_id: "evt_checkout" },
    ]);
    expect(await rows(w, "SELECT source, id, type, status, event_created, request_id FROM webhook_events")).toEqual([
      {
        source: "stripe",
        id: "evt_checkout",
        type: "checkout.session.completed",
        status: "processed",
        event_created: 1_760_000_000,
        request_id: res.headers.get("x-request-id"),
      },
    ]);
  });

  it("answers a redelivery with duplicate:true and does not run the effect again", async () => {
    const body = event("checkout.session.completed", session());
    expect(await (await deliver(body)).json()).toEqual({ received: true });
    // Stripe re-signs every attempt: new timestamp, same event id.
    const again = await deliver(body, SECRET, now() - 60);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    expect(await count(w, "orders")).toBe(1);
    expect(await count(w, "webhook_events")).toBe(1);
  });

  it("processes 10 concurrent deliveries of one event exactly once", async () => {
    const body = event("checkout.session.completed", session("cs_concurrent"), { id: "evt_concurrent" });
    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(body)));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ received: boolean; duplicate?: boolean }>));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(bodies.every((b) => b.received === true)).toBe(true);
    expect(bodies.filter((b) => b.duplicate !== true)).toEqual([{ received: true }]);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(9);
    expect(await rows(w, "SELECT id FROM orders")).toEqual([{ id: "cs_concurrent" }]);
    expect(await count(w, "webhook_events")).toBe(1);
  });

  it("accepts each rotation secret", async () => {
    const a = event("checkout.session.completed", session("cs_a"));
    const b = event("checkout.session.completed", session("cs_b"));
    expect((await deliver(a, SECRET)).status).toBe(200);
    expect((await deliver(b, ROTATED)).status).toBe(200);
    expect(await rows(w, "SELECT id FROM orders ORDER BY id")).toEqual([{ id: "cs_a" }, { id: "cs_b" }]);
  });

  it("accepts a header with several v1 signatures when one matches", async () => {
    const body = event("checkout.session.completed", session());
    const t = now();
    const header = `t=${t},v1=${v1(sign(body, "whsec_not_ours", t))},v1=${v1(sign(body, ROTATED, t))},v0=${"0".repeat(64)}`;
    const res = await post(body, { "stripe-signature": header });
    expect(res.status).toBe(200);
    expect(await count(w, "orders")).toBe(1);
  });

  it("keeps the newest subscription state when events arrive out of order", async () => {
    const sub = (status: string, end: number) => ({
      id: "sub_1",
      object: "subscription",
      customer: "cus_9",
      status,
      current_period_end: end,
    });
    const created = event("customer.subscription.created", sub("incomplete", 1000), { created: 1_760_000_000 });
    const updated = event("customer.subscription.updated", sub("active", 2000), { created: 1_760_000_100 });
    const deleted = event("customer.subscription.deleted", sub("canceled", 2000), { created: 1_760_000_200 });
    const state = () => rows(w, "SELECT id, customer, status, current_period_end FROM subscriptions");

    expect((await deliver(updated)).status).toBe(200);
    expect((await deliver(created)).status).toBe(200); // older: recorded, changes nothing
    expect(await state()).toEqual([{ id: "sub_1", customer: "cus_9", status: "active", current_period_end: 2000 }]);
    expect((await deliver(deleted)).status).toBe(200);
    expect((await deliver(updated)).status).toBe(200); // a redelivery is a duplicate anyway
    expect(await state()).toEqual([{ id: "sub_1", customer: "cus_9", status: "canceled", current_period_end: 2000 }]);
    expect(await rows(w, "SELECT type, status FROM webhook_events ORDER BY event_created")).toEqual([
      { type: "customer.subscription.created", status: "processed" },
      { type: "customer.subscription.updated", status: "processed" },
      { type: "customer.subscription.deleted", status: "processed" },
    ]);
  });

  it("records other event types as ignored", async () => {
    const body = event("invoice.paid", { id: "in_1", object: "invoice" }, { id: "evt_other" });
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(await rows(w, "SELECT id, type, status FROM webhook_events")).toEqual([
      { id: "evt_other", type: "invoice.paid", status: "ignored" },
    ]);
    expect(await count(w, "orders")).toBe(0);
    expect((await deliver(body)).status).toBe(200);
    expect(await count(w, "webhook_events")).toBe(1);
  });

  it("an event of a type without a side effect needs nothing but id and type", async () => {
    const body = JSON.stringify({ id: "evt_minimal", type: "invoice.finalized" });
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect(await rows(w, "SELECT id, type, status, event_created FROM webhook_events")).toEqual([
      { id: "evt_minimal", type: "invoice.finalized", status: "ignored", event_created: null },
    ]);
  });

  it("an event type named like an Object member (constructor, toString, __proto__) is just an unhandled type", async () => {
    for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const res = await deliver(JSON.stringify({ id: `evt_${type}`, type, created: now() }));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true });
    }
    expect(await count(w, "webhook_events")).toBe(4);
    expect(await count(w, "orders")).toBe(0);
  });

  it("accepts a body of exactly 1 MiB", async () => {
    const base = event("invoice.paid", { id: "in_big", object: "invoice", description: "" }, { id: "evt_exact" });
    const body = base.replace('"description":""', `"description":"${"x".repeat(MiB - Buffer.byteLength(base))}"`);
    expect(Buffer.byteLength(body)).toBe(MiB);
    const res = await deliver(body);
    expect(res.status).toBe(200);
    expect(await count(w, "webhook_events")).toBe(1);
  });
});

describe("POST /api/webhooks/stripe: a failing side effect", () => {
  it("answers 500, keeps nothing, and the retry is processed (not a duplicate)", async () => {
    const db = (await w.env()).DB;
    const body = event("checkout.session.completed", session("cs_retry"), { id: "evt_retry" });
    // A real D1 failure inside the batch: the orders table is gone while the first delivery runs.
    await db.prepare("ALTER TABLE orders RENAME TO orders_away").run();
    let res: Response;
    try {
      res = await deliver(body);
    } finally {
      await db.prepare("ALTER TABLE orders_away RENAME TO orders").run();
    }
    expect(res.status).toBe(500);
    const p = await problem(res);
    expect(p.type).toBe("/problems/webhook-processing-failed");
    expect(p.detail).not.toMatch(/orders|SQL|D1/i);
    expect(await count(w, "webhook_events")).toBe(0); // the event row was rolled back with the effect
    await expect
      .poll(() => logLines(w).find((l) => l.requestId === res.headers.get("x-request-id") && l.level === "error"))
      .toMatchObject({ eventId: "evt_retry", error: { message: expect.stringMatching(/orders/) } });

    const retry = await deliver(body);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ received: true });
    expect(await rows(w, "SELECT id, event_id FROM orders")).toEqual([{ id: "cs_retry", event_id: "evt_retry" }]);
    expect(await rows(w, "SELECT id, status FROM webhook_events")).toEqual([{ id: "evt_retry", status: "processed" }]);
  });
});

describe("POST /api/webhooks/stripe: rejections (400 problem, logged, nothing written)", () => {
  const body = event("checkout.session.completed", session(), { id: "evt_rejected" });

  async function expectRejected(res: Response, check: string) {
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(p.type).toBe(`/problems/webhook-${check}`);
    expect(p.detail).toBeTruthy();
    const text = JSON.stringify(p);
    for (const secret of [SECRET, ROTATED]) expect(text).not.toContain(secret);
    await expectRejectionLogged(w, res, check);
    expect(w.logs().join("\n")).not.toContain(SECRET);
    await expectNothingWritten(w);
    return p;
  }

  it("a tampered body", async () => {
    const header = sign(body);
    const res = await post(body.replace("4200", "1"), { "stripe-signature": header });
    const p = await expectRejected(res, "signature-mismatch");
    expect(p.detail).not.toContain(v1(header));
  });

  it("a wrong secret", async () => {
    await expectRejected(await deliver(body, "whsec_attacker"), "signature-mismatch");
  });

  it("a stale timestamp", async () => {
    const p = await expectRejected(await deliver(body, SECRET, now() - 301), "timestamp-outside-tolerance");
    expect(p.detail).toMatch(/s old/);
  });

  it("a future timestamp", async () => {
    const p = await expectRejected(await deliver(body, SECRET, now() + 400), "timestamp-outside-tolerance");
    expect(p.detail).toMatch(/in the future/);
  });

  it("a missing header", async () => {
    await expectRejected(await post(body), "signature-header-missing");
  });

  it("a garbled header", async () => {
    await expectRejected(await post(body, { "stripe-signature": "t=yesterday,v1=abc" }), "signature-header-malformed");
  });

  it("a header without v1 signatures", async () => {
    await expectRejected(await post(body, { "stripe-signature": `t=${now()},v0=${v1(sign(body))}` }), "signature-header-malformed");
  });

  for (const [name, payload] of [
    ["not JSON", "this is not json"],
    ["a JSON array", "[1,2,3]"],
    ["a JSON string", '"evt_1"'],
    ["JSON null", "null"],
  ] as const) {
    it(`a correctly signed body that is ${name}`, async () => {
      await expectRejected(await deliver(payload), "payload-not-json-object");
    });
  }

  it("a correctly signed event without an id", async () => {
    const p = await expectRejected(
      await deliver(JSON.stringify({ object: "event", type: "invoice.paid", created: now(), data: { object: {} } })),
      "payload-invalid",
    );
    expect(p.errors).toHaveProperty("id");
  });

  it("a correctly signed subscription event without created (its ordering needs it)", async () => {
    const body = JSON.stringify({
      id: "evt_no_created",
      type: "customer.subscription.updated",
      data: { object: { id: "sub_1", customer: "cus_1", status: "active" } },
    });
    const p = await expectRejected(await deliver(body), "payload-invalid");
    expect(p.errors).toHaveProperty("created");
  });

  it("a correctly signed checkout session without an id", async () => {
    const p = await expectRejected(
      await deliver(event("checkout.session.completed", { object: "checkout.session", amount_total: 1 })),
      "payload-invalid",
    );
    expect(p.errors).toHaveProperty(["data.object.id"]);
  });
});

describe("POST /api/webhooks/stripe: body over 1 MiB → 413 before any signature check", () => {
  const big = new Uint8Array(MiB + 1).fill(0x20);

  it("with Content-Length", async () => {
    // Signed correctly and no signature at all give the same answer: the size decides first.
    const signed: Record<string, string> = { "stripe-signature": sign(Buffer.from(big).toString()) };
    for (const headers of [signed, {}]) {
      const res = await post(big, headers);
      expect(res.status).toBe(413);
      expect((await problem(res)).type).toBe("/problems/body-too-large");
      await expectRejectionLogged(w, res, "body-too-large");
    }
    await expectNothingWritten(w);
  });

  it("without Content-Length (chunked), counting the bytes as they arrive", async () => {
    const res = await post(chunked(big), {}, { duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await problem(res)).type).toBe("/problems/body-too-large");
    await expectRejectionLogged(w, res, "body-too-large");
    const line = logLines(w).find((l) => l.requestId === res.headers.get("x-request-id") && l.msg === "webhook rejected");
    expect(line?.contentLength).toBeNull(); // the Worker really saw no Content-Length
    await expectNothingWritten(w);
  });
});

describe("/api/webhooks/stripe: other methods", () => {
  it("answers GET with 405 and Allow", async () => {
    const res = await w.fetch("/api/webhooks/stripe");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });
});
