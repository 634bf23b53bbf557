import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What a client declared when it asked for an upload URL: `complete` checks the object against it. */
export const uploads = sqliteTable(
  "uploads",
  {
    key: text("key").primaryKey(),
    ownerId: text("owner_id").notNull(),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [index("uploads_owner_created").on(t.ownerId, t.createdAt)],
);
