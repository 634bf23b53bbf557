import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * What a client declared when it asked for an upload URL (one PUT) or started a multipart
 * upload: `complete` holds the stored object to it, downloads need `completedAt` and `etag`,
 * and the daily job removes declarations nobody completed.
 */
export const uploads = sqliteTable(
  "uploads",
  {
    key: text("key").primaryKey(),
    ownerId: text("owner_id").notNull(),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When the presigned URL stops working (single PUT); multipart: when the daily job may abort it. */
    expiresAt: integer("expires_at").notNull().default(0),
    /** The store's multipart upload id; null for a single-PUT upload. */
    uploadId: text("upload_id"),
    /** Multipart only: every part but the last has exactly this many bytes. */
    partSize: integer("part_size"),
    completedAt: integer("completed_at"),
    /** The ETag of the object `complete` verified: a download serves that object or nothing. */
    etag: text("etag"),
  },
  (t) => [index("uploads_owner_created").on(t.ownerId, t.createdAt), index("uploads_pending_expiry").on(t.completedAt, t.expiresAt)],
);
