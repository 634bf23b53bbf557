/**
 * SigV4 query-string presigning (aws4fetch, WebCrypto) for any S3-compatible store: R2's S3 API,
 * an `R2_S3_ENDPOINT`, or the Worker's own dev endpoint. Region `auto` (R2). Content-Type is a
 * signed header, so the store refuses a PUT of another type. No checksum parameters are added.
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

/** S3 keys are paths: encode each segment, keep the slashes. */
export const objectUrl = (t: S3Target, key: string) =>
  `${t.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(t.bucket)}/${key.split("/").map(encodeURIComponent).join("/")}`;

export async function presign(
  target: S3Target,
  req: { method: "PUT" | "GET"; key: string; expiresIn: number; contentType?: string; datetime?: string },
): Promise<string> {
  const url = new URL(objectUrl(target, req.key));
  url.searchParams.set("X-Amz-Expires", String(req.expiresIn));
  const signer = new AwsV4Signer({
    method: req.method,
    url: url.toString(),
    headers: req.contentType ? { "content-type": req.contentType } : {},
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    service: "s3",
    region: target.region,
    signQuery: true,
    // aws4fetch leaves content-type unsigned by default; signing it is the point here.
    allHeaders: true,
    datetime: req.datetime,
  });
  const signed = await signer.sign();
  return signed.url.toString();
}
