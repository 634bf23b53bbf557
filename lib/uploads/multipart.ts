/**
 * Presigned multipart uploads for large files: the browser sends every part straight to the
 * store, in parallel; the Worker chooses the part size, signs each part with its exact length
 * (so the store enforces the declared size), lists what arrived (resume), and completes or
 * aborts through the store. The declaration lives in D1 next to the single-PUT ones.
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { uploads } from "../db/schema-uploads";
import { HttpError, badRequest, notFound } from "../core/problem";
import { createPresigner } from "./presign";
import { MULTIPART } from "./schemas";
import { StoreRefused, storeCall, type MultipartStore, type ObjectStore } from "./store";
import { s3TargetFor, type SigningOptions } from "./target";
import { declaration, declarationOf, keyFor, ownedKey, verifyStored, type UploadRequest } from "./uploads";

const MiB = 1024 * 1024;
/** Multipart uploads nobody completed are aborted this long after they started. */
export const MULTIPART_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * The part size: the smallest whole number of MiB, at least 5 MiB (the store's minimum), that
 * fits the file in at most 100 parts, capped at the store's 5 GiB part maximum (so only files
 * over 500 GiB have more parts). Every part but the last has exactly this size, which R2 requires.
 *
 * Why 100: one signing call (1–100 part numbers) covers the whole upload, so the Worker's work
 * per upload — create, sign, list, complete — does not grow with the file; and a client on a
 * flaky link loses only the parts in flight when a connection drops (5 MiB each up to 500 MiB,
 * 1% of the file rounded up to a whole MiB above), resuming from the parts the store already
 * has. A 5 GiB file has 52 MiB parts.
 */
export function partSizeFor(size: number): number {
  const fitting = Math.ceil(size / MULTIPART.targetParts / MiB) * MiB;
  return Math.min(MULTIPART.maxPartSize, Math.max(MULTIPART.minPartSize, fitting));
}

export const partCountFor = (size: number, partSize: number) => Math.max(1, Math.ceil(size / partSize));

/** The exact length of part `n` (1-based). */
export const partLength = (o: { size: number; partSize: number; partNumber: number }) =>
  Math.min(o.partSize, o.size - (o.partNumber - 1) * o.partSize);

interface Stores {
  multipart: MultipartStore;
  objects: ObjectStore;
}

export async function createMultipartUpload(db: Db, store: MultipartStore, options: { ownerId: string; input: UploadRequest }) {
  const { ownerId, input } = options;
  const key = keyFor(ownerId, input.filename);
  const partSize = partSizeFor(input.size);
  const now = Date.now();
  const expiresAt = now + MULTIPART_LIFETIME_MS;
  const uploadId = await storeCall(() => store.create(key, { contentType: input.contentType }));
  try {
    await db.insert(uploads).values({ ...declaration({ key, ownerId, input, createdAt: now, expiresAt }), uploadId, partSize });
  } catch (err) {
    // No declaration, no upload: drop what the store started (best effort; the lifecycle rule catches the rest).
    await store.abort(key, uploadId).catch(() => {});
    throw err;
  }
  return { key, uploadId, partSize, partCount: partCountFor(input.size, partSize), expiresAt: new Date(expiresAt).toISOString() };
}

/** The caller's multipart upload in progress (or completed), else 404 — another user's key is 403. */
async function pendingUpload(db: Db, options: { ownerId: string; key: string; uploadId: string }) {
  const { key } = ownedKey(options.key, options.ownerId);
  const row = await declarationOf(db, key);
  if (!row || row.uploadId === null || row.uploadId !== options.uploadId || row.partSize === null)
    throw notFound("No multipart upload with this key and uploadId.");
  return { ...row, uploadId: row.uploadId, partSize: row.partSize, partCount: partCountFor(row.size, row.partSize) };
}

const alreadyCompleted = () => new HttpError(409, { type: "upload-completed", detail: "This multipart upload is already completed." });

export async function signParts(
  db: Db,
  options: SigningOptions & { ownerId: string; key: string; uploadId: string; partNumbers: readonly number[] },
) {
  const { config } = options;
  const row = await pendingUpload(db, options);
  if (row.completedAt !== null) throw alreadyCompleted();
  const outside = options.partNumbers.flatMap((n, i) => (n > row.partCount ? [i] : []));
  if (outside.length > 0) {
    throw new HttpError(400, {
      type: "validation",
      title: "Validation failed",
      detail: `This upload has ${row.partCount} parts.`,
      errors: Object.fromEntries(outside.map((i) => [`partNumbers.${i}`, [`Must be from 1 to ${row.partCount}.`]])),
    });
  }
  // One presigner for the whole call: the signing key is derived once, each part costs one hash and one HMAC.
  const presigner = await createPresigner(await s3TargetFor(config, options.target));
  const parts = [];
  for (const partNumber of options.partNumbers) {
    const size = partLength({ size: row.size, partSize: row.partSize, partNumber });
    const url = await presigner.sign({
      method: "PUT",
      key: row.key,
      expiresIn: config.uploads.urlTtlSeconds,
      contentLength: size,
      query: { partNumber: String(partNumber), uploadId: row.uploadId },
    });
    parts.push({ partNumber, url, size, headers: {} as Record<string, string> });
  }
  return { parts };
}

export async function listUploadedParts(db: Db, store: MultipartStore, options: { ownerId: string; key: string; uploadId: string }) {
  const row = await pendingUpload(db, options);
  if (row.completedAt !== null) throw alreadyCompleted();
  const parts = await storeCall(() => store.listParts(row.key, row.uploadId)).catch(noSuchUpload);
  return { key: row.key, uploadId: row.uploadId, partSize: row.partSize, partCount: row.partCount, parts };
}

function noSuchUpload(err: unknown): never {
  if (err instanceof StoreRefused && err.code === "NoSuchUpload")
    throw notFound("The store has no such multipart upload (aborted or expired).");
  throw err;
}

/**
 * Completes once every part is named, in order, with the ETag the store gave it; then holds the
 * assembled object to the declaration (a mismatch deletes it: 422). Completing again answers
 * the same 200.
 */
export async function completeMultipartUpload(
  db: Db,
  stores: Stores,
  options: { ownerId: string; key: string; uploadId: string; parts: readonly { partNumber: number; etag: string }[] },
) {
  const row = await pendingUpload(db, options);
  if (row.completedAt !== null && row.etag !== null) return { key: row.key, size: row.size, contentType: row.contentType, etag: row.etag };
  const errors = new Map<string, string[]>();
  options.parts.forEach((p, i) => {
    if (p.partNumber !== i + 1) errors.set(`parts.${i}.partNumber`, [`Expected part ${i + 1}: list every part once, in ascending order.`]);
  });
  if (options.parts.length !== row.partCount)
    errors.set("parts", [`This upload has ${row.partCount} parts; ${options.parts.length} were sent.`]);
  if (errors.size > 0)
    throw new HttpError(400, {
      type: "validation",
      title: "Validation failed",
      detail: "The part list does not match the upload.",
      errors: Object.fromEntries(errors),
    });
  try {
    await storeCall(() =>
      stores.multipart.complete(
        row.key,
        row.uploadId,
        options.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag.replace(/^"|"$/g, "") })),
      ),
    );
  } catch (err) {
    // A retry after a completion whose answer was lost (or a concurrent one): the store no longer
    // knows the upload id, but the assembled object is there; it is verified like the first time.
    if (!(err instanceof StoreRefused && err.code === "NoSuchUpload" && (await storeCall(() => stores.objects.head(row.key)))))
      noSuchUploadOr(err);
  }
  return verifyStored(db, stores.objects, row);
}

function noSuchUploadOr(err: unknown): never {
  if (err instanceof StoreRefused && err.code === "InvalidPart") {
    throw badRequest({
      type: "invalid-parts",
      detail: `The store refused the part list: ${err.message}`,
      errors: { parts: ["A part is missing, or its ETag is not the one the store returned."] },
    });
  }
  return noSuchUpload(err);
}

export async function abortMultipartUpload(db: Db, stores: Stores, options: { ownerId: string; key: string; uploadId: string }) {
  const row = await pendingUpload(db, options);
  if (row.completedAt !== null) throw alreadyCompleted();
  await storeCall(() => stores.multipart.abort(row.key, row.uploadId));
  // A completion racing this abort may have assembled the object already: it goes too, and the
  // declaration only if no completion recorded it meanwhile.
  await storeCall(() => stores.objects.delete(row.key));
  await db.delete(uploads).where(and(eq(uploads.key, row.key), isNull(uploads.completedAt)));
}
