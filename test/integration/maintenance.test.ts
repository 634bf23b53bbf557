/** The daily Cron Trigger prunes webhook event ids past retention and expired idempotency records. */
import { describe, expect, it } from "vitest";
import { useWorker } from "./harness";

const w = useWorker({ vars: { WEBHOOK_RETENTION_DAYS: "10" } });
const DAY = 86_400_000;

async function seed(now: number) {
  const { DB } = await w.env();
  const event = DB.prepare(
    "INSERT INTO webhook_events (source, id, type, status, event_created, received_at, request_id) VALUES ('stripe', ?, 'x', 'ignored', NULL, ?, 'r')",
  );
  const key = DB.prepare(
    "INSERT INTO idempotency_keys (user_id, key, request_hash, status, post_id, response_body, created_at) VALUES ('alice', ?, 'h', 201, 'p', '{}', ?)",
  );
  await DB.batch([
    event.bind("evt_40d", now - 40 * DAY),
    event.bind("evt_12d", now - 12 * DAY),
    event.bind("evt_8d", now - 8 * DAY),
    event.bind("evt_1h", now - DAY / 24),
    key.bind("key_3d", now - 3 * DAY),
    key.bind("key_25h", now - 25 * 3_600_000),
    key.bind("key_1h", now - 3_600_000),
  ]);
}

const ids = async (sql: string) => (await (await w.env()).DB.prepare(sql).all<{ id: string }>()).results.map((r) => r.id).sort();

describe("daily maintenance (scheduled)", () => {
  it("deletes webhook events older than WEBHOOK_RETENTION_DAYS and idempotency records older than 24 h, nothing else", async () => {
    await seed(Date.now());
    const result = await w.scheduled("17 3 * * *");
    expect(result.outcome).toBe("ok");
    expect(await ids("SELECT id FROM webhook_events")).toEqual(["evt_1h", "evt_8d"]);
    expect(await ids("SELECT key AS id FROM idempotency_keys")).toEqual(["key_1h"]);
    const line = w.logs().find((l) => l.includes("maintenance done"));
    expect(line, w.logs().join("\n")).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: "info", job: "daily-maintenance", deleted: { webhookEvents: 2, idempotencyKeys: 2 } });
  });

  it("is a no-op on an empty database, and a second run deletes nothing more", async () => {
    expect((await w.scheduled("17 3 * * *")).outcome).toBe("ok");
    await seed(Date.now());
    await w.scheduled("17 3 * * *");
    w.clearLogs();
    await w.scheduled("17 3 * * *");
    expect(w.logs().some((l) => l.includes('"webhookEvents":0') && l.includes('"idempotencyKeys":0'))).toBe(true);
  });
});
