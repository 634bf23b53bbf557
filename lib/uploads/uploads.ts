/**
 * Direct-to-R2 uploads: the Worker signs and checks; the bytes go from the browser to the store.
 * A declaration row (D1 `uploads`) remembers what the client said it would upload, so
 * `complete` can hold the stored object to it.
 */
import { eq } from "drizzle-orm";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { uploads } from "../db/schema-uploads";
import { HttpError, forbidden, notFound } from "../http/problem";
import { isOwnedBy, newUploadKey } from "./keys";
import { presign } from "./presign";
import { s3TargetFor } from "./target";

export interface UploadRequest {
  filename: string;
  contentType: string;
  size: number;
}

export async function createUpload(db: Db, config: Config, origin: string, ownerId: string, input: UploadRequest) {
  const target = s3TargetFor(config, origin);
  const key = newUploadKey(ownerId, input.filename);
  const ttl = config.uploads.urlTtlSeconds;
  const uploadUrl = await presign(target, { method: "PUT", key, expiresIn: ttl, contentType: input.contentType });
  await db.insert(uploads).values({ key, ownerId, filename: input.filename, contentType: input.contentType, size: input.size, createdAt: Date.now() });
  return {
    key,
    uploadUrl,
    method: "PUT" as const,
    headers: { "content-type": input.contentType },
    expiresAt: new Date(Date.now() + ttl * 1000).toISOString(),
  };
}

function assertOwner(key: string, ownerId: string) {
  if (!key.startsWith("uploads/")) throw notFound("No upload with this key.");
  if (!isOwnedBy(key, ownerId)) throw forbidden("This upload belongs to another user.");
}

/** Checks the stored object against the declaration: a mismatch deletes it (422). */
export async function completeUpload(db: Db, bucket: R2Bucket, ownerId: string, key: string) {
  assertOwner(key, ownerId);
  const declared = (await db.select().from(uploads).where(eq(uploads.key, key)).limit(1))[0];
  const object = declared ? await bucket.head(key) : null;
  if (!declared || !object) throw notFound("Nothing has been uploaded under this key.");
  const storedType = (object.httpMetadata?.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const problems: Record<string, string[]> = {};
  if (object.size !== declared.size) problems.size = [`Declared ${declared.size} bytes, stored ${object.size}.`];
  if (storedType !== declared.contentType) problems.contentType = [`Declared ${declared.contentType}, stored ${storedType || "none"}.`];
  if (Object.keys(problems).length > 0) {
    await bucket.delete(key);
    await db.delete(uploads).where(eq(uploads.key, key));
    throw new HttpError(422, { type: "upload-mismatch", detail: "The uploaded object does not match its declaration; it was deleted.", errors: problems });
  }
  await db.update(uploads).set({ completedAt: Date.now() }).where(eq(uploads.key, key));
  return { key, size: object.size, contentType: declared.contentType, etag: object.etag };
}

/** A short-lived presigned GET for the owner. */
export async function downloadUrl(bucket: R2Bucket, config: Config, origin: string, ownerId: string, key: string): Promise<string> {
  assertOwner(key, ownerId);
  if (!(await bucket.head(key))) throw notFound("Nothing has been uploaded under this key.");
  return presign(s3TargetFor(config, origin), { method: "GET", key, expiresIn: 300 });
}
