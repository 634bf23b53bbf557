/**
 * The object store as the upload code sees it: heads and deletes of finished objects, and the
 * multipart calls. Finished objects go through the R2 binding, or through the store's S3 API
 * signed with aws4fetch when R2_S3_ENDPOINT points the uploads at another S3-compatible store.
 * The multipart calls go through the S3 API whenever R2 credentials are set, since the binding
 * cannot list the parts of an upload; in development without credentials, through the
 * binding-backed stand-in the caller hands in (lib/dev/stand-ins.ts).
 *
 * A store that throws for any other reason is unavailable: callers answer 503 + Retry-After.
 */
import { AwsClient } from "aws4fetch";
import type { Config, Env } from "../config";
import { HttpError } from "../core/problem";
import { withR2Faults } from "../faults/r2";
import { objectUrl, type S3Target } from "./presign";
import { notConfigured, storeTarget } from "./target";

export interface StoredObject {
  size: number;
  /** Unquoted. */
  etag: string;
  contentType: string;
}

export interface StoredPart {
  partNumber: number;
  etag: string;
  size: number;
}

export interface ObjectStore {
  head(key: string): Promise<StoredObject | null>;
  delete(key: string): Promise<void>;
}

export interface MultipartStore {
  create(key: string, options: { contentType: string }): Promise<string>;
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /** Throws `StoreRefused` when the store refuses the part list (missing part, wrong ETag, order, size). */
  complete(key: string, uploadId: string, parts: readonly { partNumber: number; etag: string }[]): Promise<void>;
  abort(key: string, uploadId: string): Promise<void>;
}

/** The store refused the request itself (not an outage): the client's part list is wrong, or the upload is gone. */
export class StoreRefused extends Error {
  constructor(
    readonly code: "NoSuchUpload" | "InvalidPart",
    message: string,
  ) {
    super(message);
    this.name = "StoreRefused";
  }
}

const storageUnavailable = (cause: unknown) =>
  new HttpError(503, {
    type: "storage-unavailable",
    detail: "The object store is unavailable; try again shortly.",
    headers: { "retry-after": "1" },
    cause,
  });

/** Runs a store call; anything but an answer of ours or a refusal becomes 503 + Retry-After. */
export async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HttpError || err instanceof StoreRefused) throw err;
    throw storageUnavailable(err);
  }
}

// ---------------------------------------------------------------------------------------------
// The R2 binding

/** The BUCKET binding, through the development fault switch FAULT_R2 (lib/faults/r2.ts). */
export const bucketFor = (env: Env, config: Config): R2Bucket => withR2Faults(env.BUCKET, config.faults);

/** Finished objects through the R2 binding: their heads and deletes. */
function bindingObjects(bucket: R2Bucket): ObjectStore {
  return {
    async head(key) {
      const object = await bucket.head(key);
      return object ? { size: object.size, etag: object.etag, contentType: object.httpMetadata?.contentType ?? "" } : null;
    },
    async delete(key) {
      await bucket.delete(key);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The S3 API (aws4fetch)

const unquote = (etag: string) => etag.replace(/^W\//, "").replace(/^"|"$/g, "");

const xmlValues = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => decodeXml(m[1]!));
const decodeXml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
const encodeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

async function s3Error(res: Response): Promise<Error> {
  const body = await res.text();
  const code = xmlValues(body, "Code")[0] ?? `HTTP ${res.status}`;
  if (code === "NoSuchUpload") return new StoreRefused("NoSuchUpload", "The multipart upload does not exist.");
  if (/^(InvalidPart|InvalidPartOrder|EntityTooSmall|EntityTooLarge|InvalidArgument)$/.test(code))
    return new StoreRefused("InvalidPart", xmlValues(body, "Message")[0] ?? code);
  return new Error(`S3 ${res.status} ${code}`);
}

/** The parts a ListParts page lists. */
const partsOf = (xml: string): StoredPart[] =>
  (xml.match(/<Part>[\s\S]*?<\/Part>/g) ?? []).map((block) => ({
    partNumber: Number(xmlValues(block, "PartNumber")[0]),
    etag: unquote(xmlValues(block, "ETag")[0] ?? ""),
    size: Number(xmlValues(block, "Size")[0]),
  }));

/** A CompleteMultipartUpload body. */
const completeXml = (parts: readonly { partNumber: number; etag: string }[]) =>
  `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>"${encodeXml(unquote(p.etag))}"</ETag></Part>`).join("")}</CompleteMultipartUpload>`;

/** What a HEAD says of an object. */
const storedObject = (h: Headers): StoredObject => ({
  size: Number(h.get("content-length")),
  etag: unquote(h.get("etag") ?? ""),
  contentType: h.get("content-type") ?? "",
});

/** Every part of an upload, over as many ListParts pages as the store answers. */
async function listAllParts({
  call,
  url,
}: {
  call: (u: string, init: RequestInit) => Promise<Response>;
  url: string;
}): Promise<StoredPart[]> {
  const parts: StoredPart[] = [];
  let marker = "0";
  for (;;) {
    const page = new URL(url);
    page.searchParams.set("max-parts", "1000");
    page.searchParams.set("part-number-marker", marker);
    const res = await call(page.toString(), { method: "GET" });
    if (!res.ok) throw await s3Error(res);
    const xml = await res.text();
    parts.push(...partsOf(xml));
    if (xmlValues(xml, "IsTruncated")[0] !== "true") break;
    marker = xmlValues(xml, "NextPartNumberMarker")[0] ?? String(parts.at(-1)?.partNumber ?? 0);
  }
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}

export function s3Store(target: S3Target): ObjectStore & MultipartStore {
  const client = new AwsClient({
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    service: "s3",
    region: target.region,
  });
  // Query-string signatures (like presigned URLs) for every call: accepted by every S3-compatible
  // store, and the only kind the Worker's dev endpoint checks.
  const call = (u: string, init: RequestInit) => client.fetch(u, { ...init, aws: { signQuery: true } });
  const url = (key: string, query: Record<string, string> = {}) => {
    const u = new URL(objectUrl(target, key));
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  };
  return {
    async head(key) {
      const res = await call(url(key), { method: "HEAD" });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`S3 HEAD ${res.status}`);
      return storedObject(res.headers);
    },
    async delete(key) {
      const res = await call(url(key), { method: "DELETE" });
      if (!res.ok && res.status !== 404) throw await s3Error(res);
    },
    async create(key, { contentType }) {
      const res = await call(url(key, { uploads: "" }), { method: "POST", headers: { "content-type": contentType } });
      if (!res.ok) throw await s3Error(res);
      const uploadId = xmlValues(await res.text(), "UploadId")[0];
      if (!uploadId) throw new Error("S3 CreateMultipartUpload answered without an UploadId");
      return uploadId;
    },
    listParts: (key, uploadId) => listAllParts({ call, url: url(key, { uploadId }) }),
    async complete(key, uploadId, parts) {
      const res = await call(url(key, { uploadId }), {
        method: "POST",
        headers: { "content-type": "application/xml" },
        body: completeXml(parts),
      });
      if (!res.ok) throw await s3Error(res);
      // S3 may answer 200 and still report an error in the body.
      const text = await res.text();
      if (/<Error>/.test(text)) throw await s3Error(new Response(text, { status: 500 }));
    },
    async abort(key, uploadId) {
      const res = await call(url(key, { uploadId }), { method: "DELETE" });
      if (!res.ok && res.status !== 404) throw await s3Error(res);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Which store

/**
 * Finished objects are checked through the BUCKET binding, unless R2_S3_ENDPOINT points the
 * uploads at another S3-compatible store (then through its S3 API, where the objects are).
 */
export function objectStoreFor(env: Env, config: Config): ObjectStore {
  const target = config.uploads.r2.s3Endpoint ? storeTarget(config) : null;
  return target ? s3Store(target) : bindingObjects(bucketFor(env, config));
}

/** What stands in for the store's S3 API on the BUCKET binding, in development without credentials. */
export type LocalMultipartStore = (bucket: R2Bucket) => MultipartStore;

/**
 * Multipart calls: the store's S3 API with credentials; in development without them, `local` on
 * the BUCKET binding; else (or with `local` null) 503. The caller hands `local` in
 * (lib/dev/stand-ins.ts says why).
 */
export function multipartStoreFor(env: Env, config: Config, { local }: { local: LocalMultipartStore | null }): MultipartStore {
  const target = storeTarget(config);
  if (target) return s3Store(target);
  if (config.development && local) return local(bucketFor(env, config));
  throw notConfigured();
}
