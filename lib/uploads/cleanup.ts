/**
 * Declared uploads nobody completed are removed by the daily maintenance job, with whatever
 * reached the store: a single-PUT declaration once its URL has expired plus a grace period (a
 * PUT that started just before expiry may still be finishing), a multipart upload 24 h after it
 * started (its parts are aborted). Bounded batches, so a backlog is many short runs of work.
 */
import { and, asc, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { uploads } from "../db/schema-uploads";
import type { MultipartStore, ObjectStore } from "./store";

/** How long after its URL expired a never-completed single-PUT upload is kept. */
export const UNCOMPLETED_GRACE_MS = 60 * 60 * 1000;
export const UPLOAD_CLEANUP_BATCH = 100;

export interface CleanupStores {
  objects: ObjectStore;
  /** Absent when no multipart store is configured (production without credentials). */
  multipart: MultipartStore | undefined;
}

export async function pruneUncompletedUploads(db: Db, stores: CleanupStores, options: { now: number }): Promise<number> {
  const singleDue = and(isNull(uploads.uploadId), lt(uploads.expiresAt, options.now - UNCOMPLETED_GRACE_MS));
  const multipartDue = and(isNotNull(uploads.uploadId), lt(uploads.expiresAt, options.now));
  const due = and(isNull(uploads.completedAt), stores.multipart ? or(singleDue, multipartDue) : singleDue);
  let removed = 0;
  for (;;) {
    const rows = await db
      .select({ key: uploads.key, uploadId: uploads.uploadId })
      .from(uploads)
      .where(due)
      .orderBy(asc(uploads.expiresAt))
      .limit(UPLOAD_CLEANUP_BATCH);
    for (const row of rows) {
      // The row goes first, and only if it is still uncompleted: an owner completing it right now
      // keeps their upload. Then whatever reached the store (for multipart, the parts and any
      // object a lost completion assembled).
      const claimed = await db
        .delete(uploads)
        .where(and(eq(uploads.key, row.key), isNull(uploads.completedAt)))
        .returning({ key: uploads.key });
      if (claimed.length === 0) continue;
      if (row.uploadId !== null) await stores.multipart!.abort(row.key, row.uploadId);
      await stores.objects.delete(row.key);
      removed++;
    }
    if (rows.length < UPLOAD_CLEANUP_BATCH) return removed;
  }
}
