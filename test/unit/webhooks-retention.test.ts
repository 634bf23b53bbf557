/** Pruning the webhook event ledger on real local D1: the cutoff, the 7-day floor, and batching. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDb } from "@/lib/db/client";
import { webhookEvents } from "@/lib/db/schema-webhooks";
import { MIN_RETENTION_DAYS, pruneWebhookEvents } from "@/lib/webhooks/retention";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24);
const db = () => createDb(env.DB);

async function insert(ageDays: number[], prefix = "evt") {
  const rows = ageDays.map((age, i) => ({
    source: "stripe",
    id: `${prefix}_${i}_${age}d`,
    type: "t",
    status: "ignored" as const,
    eventCreated: null,
    receivedAt: NOW - age * DAY,
    requestId: "r",
  }));
  for (let i = 0; i < rows.length; i += 10)
    await db()
      .insert(webhookEvents)
      .values(rows.slice(i, i + 10));
}

const remaining = async () => (await db().select({ id: webhookEvents.id }).from(webhookEvents)).map((r) => r.id).sort();

describe("pruneWebhookEvents", () => {
  it("deletes rows received before the cutoff and keeps the rest", async () => {
    await insert([31, 30.01, 29.99, 1]);
    expect(await pruneWebhookEvents(db(), 30, NOW)).toBe(2);
    expect(await remaining()).toEqual(["evt_2_29.99d", "evt_3_1d"]);
  });

  it(`never keeps less than ${MIN_RETENTION_DAYS} days, whatever is configured: a late retry stays a duplicate`, async () => {
    await insert([8, 6]);
    expect(await pruneWebhookEvents(db(), 1, NOW)).toBe(1);
    expect(await remaining()).toEqual(["evt_1_6d"]);
  });

  it("works through more rows than one batch", async () => {
    await insert(
      Array.from({ length: 2500 }, () => 40),
      "old",
    );
    await insert([2], "new");
    expect(await pruneWebhookEvents(db(), 30, NOW)).toBe(2500);
    expect(await remaining()).toEqual(["new_0_2d"]);
  });
});
