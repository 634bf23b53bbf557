/**
 * The Worker's S3-compatible endpoint for local development: presigned URLs point here when no
 * R2 credentials are set, and this checks them exactly as S3/R2 would (SigV4 query signature
 * recomputed with aws4fetch over the same canonical request: method, path, query, signed
 * headers such as Content-Type and Content-Length; expiry; credential scope), then works on the
 * local `BUCKET`: PutObject, GetObject, and the multipart calls (CreateMultipartUpload,
 * UploadPart, ListParts, CompleteMultipartUpload, AbortMultipartUpload) on the binding's
 * multipart API with its parts ledger (parts-ledger.ts). In production (or with real
 * credentials) the route answers 404.
 */
import { AwsV4Signer } from "aws4fetch";
import { timingSafeEqual } from "../core/encoding";
import { readBodyBytes } from "../http/body";
import { cacheControl } from "../http/cache-control";
import { HttpError, badRequest } from "../core/problem";
import { parseUploadKey } from "../uploads/keys";
import { StoreRefused, storeCall } from "../uploads/store";
import { partsLedgerStore } from "./parts-ledger";
import type { Credentials } from "./s3-target";

const encoder = new TextEncoder();

const denied = (detail: string) => new HttpError(403, { type: "signature-does-not-match", title: "Access denied", detail });

/** `20130524T000000Z` → epoch ms, or NaN. */
function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

export interface VerifyOptions {
  credentials: Credentials;
  /** Epoch ms to check expiry against (tests); default now. */
  now?: number;
}

export async function verifyPresignedRequest(request: Request, url: URL, options: VerifyOptions): Promise<void> {
  const { credentials, now = Date.now() } = options;
  const q = url.searchParams;
  const algorithm = q.get("X-Amz-Algorithm");
  const credential = q.get("X-Amz-Credential") ?? "";
  const date = q.get("X-Amz-Date") ?? "";
  const expires = Number(q.get("X-Amz-Expires"));
  const signedHeaders = (q.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
  const signature = q.get("X-Amz-Signature") ?? "";
  if (algorithm !== "AWS4-HMAC-SHA256" || !signature) throw denied("Not a SigV4 presigned request.");
  const [accessKeyId, scopeDate, region, service, terminator] = credential.split("/");
  if (accessKeyId !== credentials.accessKeyId) throw denied("Unknown access key.");
  if (scopeDate !== date.slice(0, 8) || service !== "s3" || terminator !== "aws4_request" || !region)
    throw denied("Malformed credential scope.");
  const signedAt = amzDate(date);
  if (Number.isNaN(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604800)
    throw denied("Malformed X-Amz-Date or X-Amz-Expires.");
  if (now > signedAt + expires * 1000) throw denied("Request has expired.");
  if (now < signedAt - 15 * 60 * 1000) throw denied("Request is not valid yet.");
  if (!signedHeaders.includes("host")) throw denied("host must be a signed header.");

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    if (name === "host") continue;
    const value = request.headers.get(name);
    if (value === null) throw denied(`Signed header ${name} is missing.`);
    headers[name] = value;
  }
  const unsigned = new URL(url);
  unsigned.searchParams.delete("X-Amz-Signature");
  const signer = new AwsV4Signer({
    method: request.method,
    url: unsigned.toString(),
    headers,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    service: "s3",
    region,
    signQuery: true,
    datetime: date,
    allHeaders: true,
  });
  const expected = new URL((await signer.sign()).url).searchParams.get("X-Amz-Signature") ?? "";
  if (!timingSafeEqual(encoder.encode(expected), encoder.encode(signature)))
    throw denied(
      "The request signature does not match (method, path, query or a signed header such as Content-Type or Content-Length differs).",
    );
}

const noSuchKey = () => new HttpError(404, { type: "not-found", detail: "No such bucket or key." });

/** `/api/dev-s3/<bucket>/<key…>` → the key, when the bucket is ours and the key has the server's own upload shape. */
export function devObjectKey(path: readonly string[], bucketName: string): string {
  const [bucket, ...rest] = path;
  const key = rest.join("/");
  if (bucket !== bucketName || !parseUploadKey(key)) throw noSuchKey();
  return key;
}

/** The body as a stream of exactly its declared length (R2 needs the length; the stream enforces it). */
function fixedBody(request: Request, maxBytes: number): { body: ReadableStream; size: number; done: Promise<void> } {
  const length = request.headers.get("content-length");
  if (length === null || !/^\d{1,16}$/.test(length)) throw new HttpError(411, { type: "length-required", detail: "Send Content-Length." });
  const size = Number(length);
  if (size > maxBytes) throw new HttpError(413, { type: "body-too-large", detail: `Objects are limited to ${maxBytes} bytes.` });
  if (!request.body) throw badRequest({ detail: "No body." });
  const fixed = new FixedLengthStream(size);
  const done = request.body.pipeTo(fixed.writable);
  // Awaited after a successful store call; when the store call fails first, that error is the answer.
  done.catch(() => {});
  return { body: fixed.readable, size, done };
}

export async function putObject(request: Request, bucket: R2Bucket, options: { key: string; maxBytes: number }): Promise<Response> {
  const { body, done } = fixedBody(request, options.maxBytes);
  const object = await storeCall(() =>
    bucket.put(options.key, body, { httpMetadata: { contentType: request.headers.get("content-type") ?? undefined } }),
  );
  await done;
  return new Response(null, { status: 200, headers: { etag: object.httpEtag } });
}

/** Objects are served as downloads in a sandbox: a forged text/html never renders on this origin. */
export async function getObject(bucket: R2Bucket, key: string): Promise<Response> {
  const object = await storeCall(() => bucket.get(key));
  if (!object) throw noSuchKey();
  const headers = new Headers({
    etag: object.httpEtag,
    "content-length": String(object.size),
    "cache-control": cacheControl("private"),
    "content-disposition": `attachment; filename="${key.slice(key.lastIndexOf("/") + 1)}"`,
    "content-security-policy": "sandbox",
  });
  if (object.httpMetadata?.contentType) headers.set("content-type", object.httpMetadata.contentType);
  return new Response(object.body, { headers });
}

const xml = (body: string, status = 200) =>
  new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { status, headers: { "content-type": "application/xml" } });
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Store refusals in S3's own words (what an S3 client expects), not problem+json. */
function refusal(err: StoreRefused): Response {
  const status = err.code === "NoSuchUpload" ? 404 : 400;
  return xml(`<Error><Code>${err.code}</Code><Message>${esc(err.message)}</Message></Error>`, status);
}

async function refusalsAsXml(call: () => Promise<Response>): Promise<Response> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StoreRefused) return refusal(err);
    throw err;
  }
}

const MAX_PART_NUMBER = 10000;

function partNumberOf(q: URLSearchParams): number {
  const raw = q.get("partNumber") ?? "";
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) throw badRequest({ detail: "partNumber must be 1-10000." });
  return n;
}

export async function uploadPart(
  request: Request,
  bucket: R2Bucket,
  options: { key: string; url: URL; maxBytes: number },
): Promise<Response> {
  const q = options.url.searchParams;
  const partNumber = partNumberOf(q);
  const uploadId = q.get("uploadId")!;
  const { body, size, done } = fixedBody(request, options.maxBytes);
  return refusalsAsXml(async () => {
    const etag = await storeCall(() => partsLedgerStore(bucket).uploadPart({ key: options.key, uploadId, partNumber, body, size }));
    await done;
    return new Response(null, { status: 200, headers: { etag: `"${etag}"` } });
  });
}

export async function createMultipart(request: Request, bucket: R2Bucket, key: string): Promise<Response> {
  const contentType = request.headers.get("content-type") ?? "application/octet-stream";
  const uploadId = await storeCall(() => partsLedgerStore(bucket).create(key, { contentType }));
  return xml(`<InitiateMultipartUploadResult><Key>${esc(key)}</Key><UploadId>${esc(uploadId)}</UploadId></InitiateMultipartUploadResult>`);
}

export async function listParts(bucket: R2Bucket, options: { key: string; uploadId: string }): Promise<Response> {
  return refusalsAsXml(async () => {
    const parts = await storeCall(() => partsLedgerStore(bucket).listParts(options.key, options.uploadId));
    const items = parts
      .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>"${esc(p.etag)}"</ETag><Size>${p.size}</Size></Part>`)
      .join("");
    return xml(
      `<ListPartsResult><Key>${esc(options.key)}</Key><UploadId>${esc(options.uploadId)}</UploadId><IsTruncated>false</IsTruncated>${items}</ListPartsResult>`,
    );
  });
}

/**
 * The longest CompleteMultipartUpload body read: 10 000 parts of the longest form the parser
 * below accepts (5-digit number, 200-character ETag, some whitespace), plus the envelope. A
 * longer body cannot be a valid part list, so it is refused before it is all in memory.
 */
export const MAX_COMPLETE_BODY_BYTES = MAX_PART_NUMBER * 320 + 1024;

const utf8 = new TextDecoder();

export async function completeMultipart(request: Request, bucket: R2Bucket, options: { key: string; uploadId: string }): Promise<Response> {
  let body: string;
  try {
    body = utf8.decode(await readBodyBytes(request, MAX_COMPLETE_BODY_BYTES));
  } catch (err) {
    if (!(err instanceof HttpError && err.status === 413)) throw err;
    return xml(
      `<Error><Code>MaxMessageLengthExceeded</Code><Message>The part list is longer than ${MAX_COMPLETE_BODY_BYTES} bytes.</Message></Error>`,
      400,
    );
  }
  const parts = [...body.matchAll(/<Part>\s*<PartNumber>(\d{1,5})<\/PartNumber>\s*<ETag>([^<]{1,200})<\/ETag>\s*<\/Part>/g)].map((m) => ({
    partNumber: Number(m[1]),
    etag: m[2]!.replace(/&quot;/g, '"').replace(/^"|"$/g, ""),
  }));
  if (parts.length === 0) return refusal(new StoreRefused("InvalidPart", "No parts in the request."));
  return refusalsAsXml(async () => {
    await storeCall(() => partsLedgerStore(bucket).complete(options.key, options.uploadId, parts));
    const object = await storeCall(() => bucket.head(options.key));
    return xml(
      `<CompleteMultipartUploadResult><Key>${esc(options.key)}</Key><ETag>"${esc(object?.etag ?? "")}"</ETag></CompleteMultipartUploadResult>`,
    );
  });
}

export async function abortMultipart(bucket: R2Bucket, options: { key: string; uploadId: string }): Promise<Response> {
  await storeCall(() => partsLedgerStore(bucket).abort(options.key, options.uploadId));
  return new Response(null, { status: 204 });
}
