/**
 * The daily maintenance job (Cron Trigger in wrangler.toml, `scheduled` in worker/index.ts): prunes
 * the tables that only grow — webhook event ids past their retention, idempotency records past
 * their 24 h, declared uploads nobody completed (and their objects or multipart parts). Each
 * delete is bounded, so a large backlog is many short statements, not one long one.
 */
import { getConfig, type Config, type Env } from "../config";
import { openSession } from "../db/session";
import { createDb } from "../db/client";
import { createLogger, serializeError } from "../core/log";
import { HttpError } from "../core/problem";
import { multipartStore } from "../dev/stand-ins";
import { pruneIdempotencyKeys } from "../posts/posts";
import { pruneUncompletedUploads } from "../uploads/cleanup";
import { objectStoreFor, type MultipartStore } from "../uploads/store";
import { pruneWebhookEvents } from "../webhooks/retention";

export interface MaintenanceResult {
  webhookEvents: number;
  idempotencyKeys: number;
  /** Declared uploads never completed, removed with their objects or parts. */
  uncompletedUploads: number;
}

/** The multipart calls, or none where the store has none (production without credentials). */
function multipartStoreOrNone(env: Env, config: Config): MultipartStore | undefined {
  try {
    return multipartStore(env, config);
  } catch (err) {
    // Only "uploads are not configured" means there is nothing to clean up; anything else is a fault.
    if (err instanceof HttpError && err.status === 503) return undefined;
    throw err;
  }
}

export async function runDailyMaintenance(env: Env, now = Date.now()): Promise<MaintenanceResult> {
  const config = getConfig(env);
  const log = createLogger(config.logLevel, { job: "daily-maintenance" });
  try {
    // Deletes: start on the primary, like any write.
    const db = createDb(openSession(env.DB, { access: "write" }));
    const webhookEvents = await pruneWebhookEvents(db, config.webhooks.retentionDays, now);
    const idempotencyKeys = await pruneIdempotencyKeys(db, { now });
    const stores = { objects: objectStoreFor(env, config), multipart: multipartStoreOrNone(env, config) };
    const uncompletedUploads = await pruneUncompletedUploads(db, stores, { now });
    const result = { webhookEvents, idempotencyKeys, uncompletedUploads };
    log.info("maintenance done", { deleted: result });
    return result;
  } catch (err) {
    log.error("maintenance failed", { error: serializeError(err) });
    throw err;
  }
}
