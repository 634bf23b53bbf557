import type { Config } from "../config";
import { HttpError } from "../http/problem";
import type { S3Target } from "./presign";

/** The dev endpoint's own key pair: only ever accepted in development without real credentials. */
export const DEV_S3_ACCESS_KEY_ID = "ROUTEFLARE-DEV";
export const DEV_S3_SECRET = "routeflare-dev-s3-secret-not-for-production";
export const DEV_S3_PATH = "/api/dev-s3";

const realCredentials = (r2: Config["uploads"]["r2"]) => Boolean(r2.accessKeyId && r2.secretAccessKey && (r2.accountId || r2.s3Endpoint));

/** The Worker's S3-compatible dev endpoint exists only in development with no R2 credentials. */
export const devEndpointEnabled = (config: Config) => config.development && !realCredentials(config.uploads.r2);

/** Where presigned URLs point: R2's S3 API, R2_S3_ENDPOINT, or (development) this Worker. */
export function s3TargetFor(config: Config, origin: string): S3Target {
  const r2 = config.uploads.r2;
  if (realCredentials(r2)) {
    return {
      endpoint: r2.s3Endpoint ?? `https://${r2.accountId}.r2.cloudflarestorage.com`,
      bucket: r2.bucketName,
      accessKeyId: r2.accessKeyId!,
      secretAccessKey: r2.secretAccessKey!,
      region: "auto",
    };
  }
  if (devEndpointEnabled(config)) {
    return { endpoint: `${origin}${DEV_S3_PATH}`, bucket: r2.bucketName, accessKeyId: DEV_S3_ACCESS_KEY_ID, secretAccessKey: DEV_S3_SECRET, region: "auto" };
  }
  throw new HttpError(503, {
    type: "uploads-not-configured",
    detail: "Uploads need R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and R2_ACCOUNT_ID (or R2_S3_ENDPOINT).",
    headers: { "retry-after": "3600" },
  });
}
