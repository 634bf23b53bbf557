/**
 * Posts and idempotency records. The database schema is this file with schema-webhooks.ts and
 * schema-uploads.ts (drizzle.config.ts reads lib/db/schema*.ts): `npm run db:generate` (drizzle-kit)
 * writes the SQL migrations in drizzle/ from them, which wrangler applies (`migrations_dir`).
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const posts = sqliteTable(
  "posts",
  {
    /** Opaque, time-sortable id (see lib/posts/ids.ts). */
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    content: text("content").notNull(),
    published: integer("published", { mode: "boolean" }).notNull().default(false),
    authorId: text("author_id").notNull(),
    /** Unix milliseconds; the keyset order is (created_at DESC, id DESC). */
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Bumped by every write: the ETag, and what If-Match compares against. */
    version: integer("version").notNull().default(1),
  },
  (t) => [
    // Public list: WHERE published = 1 ORDER BY created_at DESC, id DESC (a covering seek for keyset paging).
    index("posts_published_created_id").on(t.published, sql`${t.createdAt} DESC`, sql`${t.id} DESC`),
    // Drafts list: WHERE author_id = ? AND published = 0 ORDER BY created_at DESC, id DESC.
    index("posts_author_published_created_id").on(t.authorId, t.published, sql`${t.createdAt} DESC`, sql`${t.id} DESC`),
  ],
);

/** Stored responses of POSTs sent with an Idempotency-Key, per user, kept 24 h. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of the canonical request body: the same key with another body is a 422. */
    requestHash: text("request_hash").notNull(),
    /** The first response, replayed verbatim for the key's lifetime. */
    status: integer("status").notNull(),
    postId: text("post_id").notNull(),
    responseBody: text("response_body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index("idempotency_keys_created").on(t.createdAt)],
);

export type PostRow = typeof posts.$inferSelect;
