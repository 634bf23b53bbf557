/**
 * The Worker's S3-compatible endpoint for local development: presigned URLs point here when no
 * R2 credentials are set, and this checks them exactly as S3/R2 would (SigV4 query signature
 * recomputed with aws4fetch over the same canonical request: method, path, query, signed
 * headers; expiry; credential scope), then streams the body into the local `BUCKET`.
 * In production (or with real credentials) the route answers 404.
 */
import { AwsV4Signer } from "aws4fetch";
import { cacheControl } from "../http/cache-control";
import { HttpError } from "../http/problem";
import { DEV_S3_ACCESS_KEY_ID, DEV_S3_SECRET } from "./target";

const denied = (detail: string) => new HttpError(403, { type: "signature-does-not-match", title: "Access denied", detail });

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** `20130524T000000Z` → epoch ms, or NaN. */
function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const DEV_CREDENTIALS: Credentials = { accessKeyId: DEV_S3_ACCESS_KEY_ID, secretAccessKey: DEV_S3_SECRET };

export async function verifyPresignedRequest(request: Request, url: URL, credentials: Credentials = DEV_CREDENTIALS, now = Date.now()): Promise<void> {
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
  if (scopeDate !== date.slice(0, 8) || service !== "s3" || terminator !== "aws4_request" || !region) throw denied("Malformed credential scope.");
  const signedAt = amzDate(date);
  if (Number.isNaN(signedAt) || !Number.isInteger(expires) || expires < 1 || expires > 604800) throw denied("Malformed X-Amz-Date or X-Amz-Expires.");
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
  if (!timingSafeEqual(expected, signature)) throw denied("The request signature does not match (method, path, query or a signed header such as Content-Type differs).");
}

/** `/api/dev-s3/<bucket>/<key…>` → the key, when the bucket is ours and the key is an upload. */
export function devObjectKey(path: readonly string[], bucketName: string): string {
  const [bucket, ...rest] = path;
  const key = rest.join("/");
  if (bucket !== bucketName || !key.startsWith("uploads/")) throw new HttpError(404, { type: "not-found", detail: "No such bucket or key." });
  return key;
}

export async function putObject(request: Request, bucket: R2Bucket, key: string, maxBytes: number): Promise<Response> {
  const length = request.headers.get("content-length");
  if (length === null || !/^\d+$/.test(length)) throw new HttpError(411, { type: "length-required", detail: "Send Content-Length." });
  if (Number(length) > maxBytes) throw new HttpError(413, { type: "body-too-large", detail: `Objects are limited to ${maxBytes} bytes.` });
  if (!request.body) throw new HttpError(400, { type: "bad-request", detail: "No body." });
  // R2 needs a stream of known length; FixedLengthStream also enforces that the body matches it.
  const fixed = new FixedLengthStream(Number(length));
  const piped = request.body.pipeTo(fixed.writable);
  const object = await bucket.put(key, fixed.readable, { httpMetadata: { contentType: request.headers.get("content-type") ?? undefined } });
  await piped;
  return new Response(null, { status: 200, headers: { etag: object.httpEtag } });
}

export async function getObject(bucket: R2Bucket, key: string): Promise<Response> {
  const object = await bucket.get(key);
  if (!object) throw new HttpError(404, { type: "not-found", detail: "No such key." });
  const headers = new Headers({ etag: object.httpEtag, "content-length": String(object.size), "cache-control": cacheControl("private") });
  if (object.httpMetadata?.contentType) headers.set("content-type", object.httpMetadata.contentType);
  return new Response(object.body, { headers });
}
