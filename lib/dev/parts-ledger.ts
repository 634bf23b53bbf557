/**
 * The development stand-in for the store's S3 multipart calls where no store credentials are
 * set: the local BUCKET binding's multipart API, plus a small ledger of the parts it was sent,
 * since the binding cannot list the parts of an upload. The dev S3 endpoint (s3.ts) works
 * through it, and so do the uploads routes and the daily job, which hand it to
 * `multipartStoreFor` (lib/uploads/store.ts) through stand-ins.ts.
 *
 * The ledger lives in the bucket under `dev-s3-parts/<uploadId>/`: one empty object per part
 * (its ETag and size as metadata), and an `open` marker from create until complete or abort, so
 * that ListParts on an unknown, aborted or completed upload answers NoSuchUpload, as S3 does.
 */
import { StoreRefused, type MultipartStore, type StoredPart } from "../uploads/store";

/** One part for the dev S3 endpoint's UploadPart: `size` is the body's exact length. */
export interface PartUpload {
  key: string;
  uploadId: string;
  partNumber: number;
  body: ReadableStream;
  size: number;
}

const ledgerPrefix = (uploadId: string) => `dev-s3-parts/${encodeURIComponent(uploadId)}/`;
const OPEN_MARKER = "open";

/** R2 binding errors end in "(<code>)"; these codes are refusals of the request, not outages. */
function bindingRefusal(err: unknown): StoreRefused | null {
  const message = err instanceof Error ? err.message : String(err);
  const code = /\((\d{5})\)\s*$/.exec(message)?.[1];
  if (code === "10024") return new StoreRefused("NoSuchUpload", "The multipart upload does not exist.");
  if (code === "10025" || code === "10011" || code === "10039" || code === "10048")
    return new StoreRefused("InvalidPart", message.replace(/\s*\(\d{5}\)\s*$/, ""));
  return null;
}

async function binding<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw bindingRefusal(err) ?? err;
  }
}

export function partsLedgerStore(bucket: R2Bucket): MultipartStore & { uploadPart(part: PartUpload): Promise<string> } {
  return {
    async create(key, { contentType }) {
      const { uploadId } = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
      await bucket.put(`${ledgerPrefix(uploadId)}${OPEN_MARKER}`, "");
      return uploadId;
    },
    async uploadPart({ key, uploadId, partNumber, body, size }) {
      const part = await binding(() => bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, body));
      await bucket.put(`${ledgerPrefix(uploadId)}${partNumber}`, "", { customMetadata: { etag: part.etag, size: String(size) } });
      return part.etag;
    },
    listParts: (_key, uploadId) => ledgerParts(bucket, uploadId),
    async complete(key, uploadId, parts) {
      await binding(() =>
        bucket.resumeMultipartUpload(key, uploadId).complete(parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }))),
      );
      await dropLedger(bucket, uploadId);
    },
    async abort(key, uploadId) {
      try {
        await binding(() => bucket.resumeMultipartUpload(key, uploadId).abort());
      } catch (err) {
        if (!(err instanceof StoreRefused && err.code === "NoSuchUpload")) throw err;
      }
      await dropLedger(bucket, uploadId);
    },
  };
}

/** The parts the ledger holds for an open upload, in order; NoSuchUpload when it is not open. */
async function ledgerParts(bucket: R2Bucket, uploadId: string): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  let open = false;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: ledgerPrefix(uploadId), cursor, include: ["customMetadata"] });
    for (const o of page.objects) {
      if (o.key.endsWith(`/${OPEN_MARKER}`)) {
        open = true;
        continue;
      }
      parts.push({
        partNumber: Number(o.key.slice(o.key.lastIndexOf("/") + 1)),
        etag: o.customMetadata!.etag!,
        size: Number(o.customMetadata!.size),
      });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  if (!open) throw new StoreRefused("NoSuchUpload", "The multipart upload does not exist.");
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

async function dropLedger(bucket: R2Bucket, uploadId: string) {
  for (;;) {
    const page = await bucket.list({ prefix: ledgerPrefix(uploadId), limit: 1000 });
    if (page.objects.length === 0) return;
    await bucket.delete(page.objects.map((o) => o.key));
  }
}
