/**
 * Posts: the queries and the rules (visibility, ownership, preconditions, idempotent creates).
 * Routes call these with the request's drizzle client; every function states its HTTP outcome
 * by returning data or throwing an HttpError.
 */
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { prepareSelect } from "../db/prepared";
import { pruneInBatches } from "../db/prune";
import { sha256Hex } from "../core/encoding";
import { idempotencyKeys, posts, type PostRow } from "../db/schema";
import { cacheControl } from "../http/cache-control";
import { ifMatchFails } from "../http/conditional";
import { HttpError, forbidden, notFound } from "../core/problem";
import { decodeCursor, encodeCursor } from "./cursor";
import { isPostId, newPostId } from "./ids";
import type { CreatePostInput, ListPostsQuery, PatchPostInput, Post } from "./schemas";

export const toPost = (row: PostRow): Post => ({
  id: row.id,
  title: row.title,
  content: row.content,
  published: row.published,
  authorId: row.authorId,
  createdAt: new Date(row.createdAt).toISOString(),
  updatedAt: new Date(row.updatedAt).toISOString(),
});

/** Strong ETag of a post's JSON representation: it changes with every write (version). */
export const etagOf = (row: Pick<PostRow, "id" | "version">) => `"${row.id}.${row.version}"`;

// The hot reads, built once per isolate (see lib/db/prepared.ts).
const qb = new QueryBuilder();
const byId = prepareSelect<typeof posts, { id: string }>(posts, () =>
  qb
    .select()
    .from(posts)
    .where(eq(posts.id, sql.placeholder("id")))
    .limit(1),
);
const page = (drafts: boolean, seek: boolean) =>
  prepareSelect<typeof posts, { author: string; at: number; id: string; limit: number; offset: number }>(posts, () => {
    const visible = drafts ? and(eq(posts.authorId, sql.placeholder("author")), eq(posts.published, false)) : eq(posts.published, true);
    // Keyset seek on (created_at DESC, id DESC): strictly after the last row of the previous page.
    const after = or(
      lt(posts.createdAt, sql.placeholder("at")),
      and(eq(posts.createdAt, sql.placeholder("at")), lt(posts.id, sql.placeholder("id"))),
    );
    return qb
      .select()
      .from(posts)
      .where(seek ? and(visible, after) : visible)
      .orderBy(desc(posts.createdAt), desc(posts.id))
      .limit(sql.placeholder("limit"))
      .offset(sql.placeholder("offset"));
  });
const pages = {
  published: page(false, false),
  publishedAfter: page(false, true),
  drafts: page(true, false),
  draftsAfter: page(true, true),
};

/** Published posts are public; a draft exists only for its author. */
export async function getVisiblePost(d1: D1DatabaseSession | D1Database, id: string, userId: string | undefined): Promise<PostRow> {
  if (!isPostId(id)) throw notFound("No post with this id.");
  const row = (await byId.all(d1, { id }))[0];
  if (!row || (!row.published && row.authorId !== userId)) throw notFound("No post with this id.");
  return row;
}

export interface ListResult {
  posts: Post[];
  limit: number;
  nextCursor: string | null;
  page?: number;
}

export interface ListPostsOptions {
  query: ListPostsQuery;
  /** The caller, if any: `drafts=true` lists theirs. */
  viewerId: string | undefined;
  /** Signs and checks the `nextCursor` (bound to the list it pages). */
  cursorSecret: string;
}

export async function listPosts(
  d1: D1DatabaseSession | D1Database,
  { query, viewerId: userId, cursorSecret }: ListPostsOptions,
): Promise<ListResult> {
  const drafts = query.drafts === "true";
  const scope = drafts ? `drafts:${userId}` : "published";
  const at = query.cursor !== undefined ? await decodeCursor(query.cursor, scope, cursorSecret) : undefined;
  const prepared = drafts ? (at ? pages.draftsAfter : pages.drafts) : at ? pages.publishedAfter : pages.published;
  const rows = await prepared.all(d1, {
    author: userId ?? "",
    at: at?.createdAt ?? 0,
    id: at?.id ?? "",
    limit: query.limit + 1,
    offset: query.page !== undefined ? (query.page - 1) * query.limit : 0,
  });

  const more = rows.length > query.limit;
  const pageRows = more ? rows.slice(0, query.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    posts: pageRows.map(toPost),
    limit: query.limit,
    nextCursor: more && last ? await encodeCursor({ scope, createdAt: last.createdAt, id: last.id }, cursorSecret) : null,
    ...(query.page !== undefined && { page: query.page }),
  };
}

export interface CreateResult {
  status: number;
  body: string;
  postId: string;
  etag: string;
  replayed: boolean;
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

function isUniqueViolation(err: unknown): boolean {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    if (/UNIQUE constraint failed|SQLITE_CONSTRAINT/.test(e.message)) return true;
  }
  return false;
}

/**
 * Creates a post. With an Idempotency-Key the post row and the key's record are written in one
 * D1 batch (one transaction): a concurrent request with the same key fails on the key's
 * primary key, its post insert rolls back with it, and it replays the stored response instead.
 */
export interface CreatePostOptions {
  input: CreatePostInput;
  authorId: string;
  /** With a key, the post and the key are written together and a repeat replays the first answer. */
  idempotencyKey: string | undefined;
}

export async function createPost(db: Db, { input, authorId, idempotencyKey }: CreatePostOptions): Promise<CreateResult> {
  const now = Date.now();
  const row: PostRow = { id: newPostId(now), ...input, authorId, createdAt: now, updatedAt: now, version: 1 };
  const body = JSON.stringify(toPost(row));
  const created: CreateResult = { status: 201, body, postId: row.id, etag: etagOf(row), replayed: false };

  if (idempotencyKey === undefined) {
    await db.insert(posts).values(row);
    return created;
  }

  const requestHash = await sha256Hex(JSON.stringify([input.title, input.content, input.published]));
  const expired = and(
    eq(idempotencyKeys.userId, authorId),
    eq(idempotencyKeys.key, idempotencyKey),
    lt(idempotencyKeys.createdAt, now - IDEMPOTENCY_TTL_MS),
  );
  try {
    await db.batch([
      // A key older than 24 h is forgotten, inside the same transaction.
      db.delete(idempotencyKeys).where(expired),
      db.insert(posts).values(row),
      db
        .insert(idempotencyKeys)
        .values({ userId: authorId, key: idempotencyKey, requestHash, status: 201, postId: row.id, responseBody: body, createdAt: now }),
    ]);
    return created;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }

  const first = (
    await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, authorId), eq(idempotencyKeys.key, idempotencyKey)))
      .limit(1)
  )[0];
  if (!first) throw new Error("idempotency key conflict without a stored key");
  if (first.requestHash !== requestHash) {
    throw new HttpError(422, {
      type: "idempotency-key-reused",
      detail: "This Idempotency-Key was already used with a different request body.",
    });
  }
  const stored = JSON.parse(first.responseBody) as Post;
  const current = (await db.select({ id: posts.id, version: posts.version }).from(posts).where(eq(posts.id, first.postId)).limit(1))[0];
  return { status: first.status, body: first.responseBody, postId: stored.id, etag: current ? etagOf(current) : "", replayed: true };
}

/**
 * Removes idempotency records older than 24 h, in batches of 500: one batch after a response
 * (`maxBatches: 1`), all of them from the daily maintenance job. Returns how many went.
 */
export function pruneIdempotencyKeys(
  db: Db,
  { now = Date.now(), maxBatches }: { now?: number; maxBatches?: number } = {},
): Promise<number> {
  return pruneInBatches(db, {
    table: idempotencyKeys,
    where: lt(idempotencyKeys.createdAt, now - IDEMPOTENCY_TTL_MS),
    batchSize: 500,
    maxBatches,
  });
}

export interface PostWriteTarget {
  /** The post's id, as the client sent it. */
  id: string;
  /** The caller; only the author may write. */
  userId: string;
  /** The request's If-Match header (null when absent): the write happens only if it matches. */
  ifMatch: string | null;
}

/** Loads a post for a write: 404 (missing, or someone else's draft), 403 (someone else's), 412 (If-Match). */
async function loadForWrite(d1: D1DatabaseSession | D1Database, { id, userId, ifMatch }: PostWriteTarget): Promise<PostRow> {
  const row = await getVisiblePost(d1, id, userId);
  if (row.authorId !== userId) throw forbidden("Only the author can change this post.");
  if (ifMatchFails(ifMatch, etagOf(row))) throw preconditionFailed();
  return row;
}

const preconditionFailed = () =>
  new HttpError(412, { type: "precondition-failed", detail: "The post has changed since the ETag in If-Match; fetch it again." });

/**
 * How often an unconditional write re-reads and retries after losing the compare-and-set to a
 * concurrent writer. A post that keeps changing under us gets a 409 rather than an endless loop.
 */
export const UPDATE_ATTEMPTS = 5;

export interface UpdatePostOptions extends PostWriteTarget {
  changes: PatchPostInput;
}

/**
 * Applies `changes` to a post. The UPDATE is conditional on the version read (compare-and-set),
 * so two writers holding the same ETag cannot both win: the loser gets 412 and writes nothing.
 * Without If-Match the last write wins: a lost compare-and-set is retried on the newer version,
 * at most UPDATE_ATTEMPTS times in all, then answered 409.
 *
 * @example
 * ```ts
 * const row = await updatePost(db, d1, { id, userId: user.id, changes: input, ifMatch: request.headers.get("if-match") });
 * ```
 */
export async function updatePost(db: Db, d1: D1DatabaseSession | D1Database, options: UpdatePostOptions): Promise<PostRow> {
  const { id, changes, ifMatch } = options;
  for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
    const current = await loadForWrite(d1, options);
    const updated = await db
      .update(posts)
      .set({ ...changes, updatedAt: Math.max(Date.now(), current.updatedAt), version: current.version + 1 })
      .where(and(eq(posts.id, id), eq(posts.version, current.version)))
      .returning();
    const row = updated[0];
    if (row) return row;
    if (ifMatch !== null) throw preconditionFailed();
  }
  throw new HttpError(409, {
    type: "write-conflict",
    detail: "The post kept changing while this write was applied; nothing was written. Retry.",
    headers: { "retry-after": "1" },
  });
}

/** Deletes a post (same checks as updatePost); with If-Match only the version it names. */
export async function deletePost(db: Db, d1: D1DatabaseSession | D1Database, target: PostWriteTarget): Promise<void> {
  const { id, ifMatch } = target;
  const current = await loadForWrite(d1, target);
  const condition = ifMatch !== null ? and(eq(posts.id, id), eq(posts.version, current.version)) : eq(posts.id, id);
  const deleted = await db.delete(posts).where(condition).returning({ id: posts.id });
  if (deleted.length === 0 && ifMatch !== null) throw preconditionFailed();
}

/** The cursor HMAC key; a deployment without one cannot page by cursor (logged as a 500). */
export function requireCursorSecret(secret: string | undefined): string {
  if (!secret) throw new Error("No CURSOR_SECRET or AUTH_SECRET is configured: cursors cannot be signed.");
  return secret;
}

/** Headers of a single-post representation. */
export function postHeaders(row: PostRow): Record<string, string> {
  return { etag: etagOf(row), "cache-control": cacheControl(row.published ? "published" : "private") };
}
