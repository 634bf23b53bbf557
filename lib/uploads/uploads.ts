/**
 * Direct-to-R2 uploads: the Worker signs and checks; the bytes go from the browser to the store.
 * A declaration row (D1 `uploads`) remembers what the client said it would upload, so
 * `complete` can hold the stored object to it, and a download serves only the object that
 * `complete` verified (same ETag) — never bytes written later with a still-valid PUT URL, and
 * never an upload nobody completed.
 */
import { and, eq, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { uploads } from "../db/schema-uploads";
import { HttpError, badRequest, forbidden, notFound } from "../core/problem";
import { isOwnedBy, newUploadKey, parseUploadKey, type UploadKey } from "./keys";
import { amzDatetime, presign } from "./presign";
import { storeCall, type ObjectStore } from "./store";
import { s3TargetFor, type SigningOptions } from "./target";

export interface UploadRequest {
  filename: string;
  contentType: string;
  size: number;
}

/** Presigned GETs live this long. */
export const DOWNLOAD_URL_TTL_SECONDS = 300;

/** A fresh key for this owner, refused when the owner id is too long to fit in one. */
export function keyFor(ownerId: string, filename: string): string {
  const key = newUploadKey(ownerId, filename);
  if (!parseUploadKey(key)) throw badRequest({ detail: "This user id is too long to name an object key." });
  return key;
}

/** The D1 row declaring an upload: who, what, and until when it may be completed. */
export const declaration = (o: { key: string; ownerId: string; input: UploadRequest; createdAt: number; expiresAt: number }) => ({
  key: o.key,
  ownerId: o.ownerId,
  filename: o.input.filename,
  contentType: o.input.contentType,
  size: o.input.size,
  createdAt: o.createdAt,
  expiresAt: o.expiresAt,
});

export async function createUpload(db: Db, options: SigningOptions & { ownerId: string; input: UploadRequest }) {
  const { config, ownerId, input } = options;
  const target = await s3TargetFor(config, options.target);
  const key = keyFor(ownerId, input.filename);
  const ttl = config.uploads.urlTtlSeconds;
  const now = Date.now();
  const uploadUrl = await presign(target, {
    method: "PUT",
    key,
    expiresIn: ttl,
    contentType: input.contentType,
    contentLength: input.size,
  });
  await db.insert(uploads).values(declaration({ key, ownerId, input, createdAt: now, expiresAt: now + ttl * 1000 }));
  return {
    key,
    uploadUrl,
    method: "PUT" as const,
    // What the client must send besides the body; the body must be exactly `size` bytes
    // (Content-Length is signed, and browsers send it by themselves).
    headers: { "content-type": input.contentType },
    expiresAt: new Date(now + ttl * 1000).toISOString(),
  };
}

/**
 * A key that came in from a client: it must have the server's own shape (else 404, and the store
 * is never asked) and belong to the caller (else 403).
 */
export function ownedKey(key: string, ownerId: string): UploadKey {
  const parsed = parseUploadKey(key);
  if (!parsed) throw notFound("No upload with this key.");
  if (!isOwnedBy(parsed, ownerId)) throw forbidden("This upload belongs to another user.");
  return parsed;
}

export const declarationOf = async (db: Db, key: string) => (await db.select().from(uploads).where(eq(uploads.key, key)).limit(1))[0];

const normalType = (t: string) => (t.split(";")[0] ?? "").trim().toLowerCase();

/**
 * Holds the stored object to its declaration. A mismatch deletes object and declaration (422);
 * a match records the object's ETag, which every later download must find again.
 */
export async function verifyStored(db: Db, store: ObjectStore, declared: typeof uploads.$inferSelect) {
  const object = await storeCall(() => store.head(declared.key));
  if (!object) throw notFound("Nothing has been uploaded under this key.");
  const problems = new Map<string, string[]>();
  if (object.size !== declared.size) problems.set("size", [`Declared ${declared.size} bytes, stored ${object.size}.`]);
  const storedType = normalType(object.contentType);
  if (storedType !== declared.contentType)
    problems.set("contentType", [`Declared ${declared.contentType}, stored ${storedType || "none"}.`]);
  if (problems.size > 0) {
    await storeCall(() => store.delete(declared.key));
    await db.delete(uploads).where(eq(uploads.key, declared.key));
    throw new HttpError(422, {
      type: "upload-mismatch",
      detail: "The uploaded object does not match its declaration; it was deleted.",
      errors: Object.fromEntries(problems),
    });
  }
  await db
    .update(uploads)
    .set({ completedAt: Date.now(), etag: object.etag })
    // Also a row completed before ETags were recorded: verifying it again records its ETag.
    .where(and(eq(uploads.key, declared.key), or(isNull(uploads.completedAt), isNull(uploads.etag))));
  return { key: declared.key, size: object.size, contentType: declared.contentType, etag: object.etag };
}

/** Confirms a single-PUT upload. Completing again answers what the first completion verified. */
export async function completeUpload(db: Db, store: ObjectStore, options: { ownerId: string; key: string }) {
  const { key } = ownedKey(options.key, options.ownerId);
  const declared = await declarationOf(db, key);
  if (!declared || declared.uploadId !== null) throw notFound("No upload was declared under this key.");
  if (declared.completedAt !== null && declared.etag !== null)
    return { key, size: declared.size, contentType: declared.contentType, etag: declared.etag };
  return verifyStored(db, store, declared);
}

/** A presigned GET of a completed upload, and when it stops working. */
export interface DownloadLink {
  url: string;
  expiresAt: string;
}

export interface DownloadLinkOptions extends SigningOptions {
  ownerId: string;
  key: string;
}

/**
 * A short-lived presigned GET for the owner, only for a completed upload whose object still has
 * the ETag `complete` verified. The URL makes the browser download the file, never render it.
 */
export async function downloadLink(db: Db, store: ObjectStore, options: DownloadLinkOptions): Promise<DownloadLink> {
  const { config } = options;
  const { key } = ownedKey(options.key, options.ownerId);
  const declared = await declarationOf(db, key);
  if (!declared || declared.completedAt === null || declared.etag === null) throw notFound("No completed upload under this key.");
  const object = await storeCall(() => store.head(key));
  if (!object || object.etag !== declared.etag) throw notFound("The object under this key is not the one that was verified.");
  const filename = key.slice(key.lastIndexOf("/") + 1);
  // Whole seconds: the URL's signing time, and so its expiry, as the store will count them.
  const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const url = await presign(await s3TargetFor(config, options.target), {
    method: "GET",
    key,
    expiresIn: DOWNLOAD_URL_TTL_SECONDS,
    query: { "response-content-disposition": `attachment; filename="${filename}"` },
    datetime: amzDatetime(signedAt),
  });
  return { url, expiresAt: new Date(signedAt.getTime() + DOWNLOAD_URL_TTL_SECONDS * 1000).toISOString() };
}
