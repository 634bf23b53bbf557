/**
 * SigV4 query-string presigning (aws4fetch, WebCrypto) for any S3-compatible store: R2's S3 API,
 * an `R2_S3_ENDPOINT`, or the Worker's own dev endpoint. Region `auto` (R2). Whatever the store
 * must enforce is signed: Content-Type and the exact Content-Length of a PUT (so a body of any
 * other length or type is refused by the store itself), and query parameters such as a
 * part number or `response-content-disposition`. No checksum parameters are added.
 */
import { AwsV4Signer } from "aws4fetch";

export interface S3Target {
  /** Base URL; objects are addressed path-style: `${endpoint}/${bucket}/${key}`. */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * S3 keys are paths: encode each segment, keep the slashes. Keys reaching here have the
 * server's own shape (lib/uploads/keys.ts), so no segment is `.`/`..` and the URL's path
 * is exactly the key that was checked.
 */
export const objectUrl = (t: S3Target, key: string) =>
  `${t.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(t.bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;

export interface PresignRequest {
  method: "PUT" | "GET";
  key: string;
  expiresIn: number;
  /** Signed: the store refuses a PUT with another Content-Type. */
  contentType?: string;
  /** Signed: the store refuses a PUT whose body has another length. */
  contentLength?: number;
  /** Extra query parameters, signed with the rest (e.g. `partNumber`, `uploadId`). */
  query?: Record<string, string>;
  /** Fixed signing time (tests); default now. */
  datetime?: string;
}

export async function presign(target: S3Target, req: PresignRequest): Promise<string> {
  const url = new URL(objectUrl(target, req.key));
  for (const [name, value] of Object.entries(req.query ?? {})) url.searchParams.set(name, value);
  url.searchParams.set("X-Amz-Expires", String(req.expiresIn));
  const headers: Record<string, string> = {};
  if (req.contentType !== undefined) headers["content-type"] = req.contentType;
  if (req.contentLength !== undefined) headers["content-length"] = String(req.contentLength);
  const signer = new AwsV4Signer({
    method: req.method,
    url: url.toString(),
    headers,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    service: "s3",
    region: target.region,
    signQuery: true,
    // aws4fetch leaves content-type and content-length unsigned by default; signing them is the point.
    allHeaders: true,
    datetime: req.datetime,
  });
  const signed = await signer.sign();
  return signed.url.toString();
}
