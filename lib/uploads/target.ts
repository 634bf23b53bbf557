import type { Config } from "../config";
import { HttpError } from "../core/problem";
import type { S3Target } from "./presign";

/** R2 (or another S3-compatible store) credentials are set: the Worker talks to its S3 API. */
export const hasStoreCredentials = (config: Config) => {
  const r2 = config.uploads.r2;
  return Boolean(r2.accessKeyId && r2.secretAccessKey && (r2.accountId || r2.s3Endpoint));
};

/** The store's own S3 API, R2's or R2_S3_ENDPOINT: null without credentials. */
export function storeTarget(config: Config): S3Target | null {
  if (!hasStoreCredentials(config)) return null;
  const r2 = config.uploads.r2;
  return {
    endpoint: r2.s3Endpoint ?? `https://${r2.accountId}.r2.cloudflarestorage.com`,
    bucket: r2.bucketName,
    accessKeyId: r2.accessKeyId!,
    secretAccessKey: r2.secretAccessKey!,
    region: "auto",
  };
}

export const notConfigured = () =>
  new HttpError(503, {
    type: "uploads-not-configured",
    detail: "Uploads need R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and R2_ACCOUNT_ID (or R2_S3_ENDPOINT).",
    headers: { "retry-after": "3600" },
  });

/**
 * Where presigned URLs point when the store has no credentials, or null where nothing stands
 * in: the caller hands it in (in development, the Worker's own S3 endpoint; lib/dev/stand-ins.ts).
 */
export type LocalTarget = (config: Config, origin: string) => Promise<S3Target | null>;

/** Where the URLs a request signs point. */
export interface TargetOptions {
  /** The API's origin: `local` may point URLs at it. */
  origin: string;
  /** What stands in for the store's S3 API without credentials; null for nothing (then 503). */
  local: LocalTarget | null;
}

/** What every call that signs URLs takes in its options: the configuration, and where the URLs point. */
export interface SigningOptions {
  config: Config;
  target: TargetOptions;
}

/** Where presigned URLs point: the store's S3 API, else `local`'s target; else 503. */
export async function s3TargetFor(config: Config, { origin, local }: TargetOptions): Promise<S3Target> {
  const target = storeTarget(config) ?? (local ? await local(config, origin) : null);
  if (!target) throw notConfigured();
  return target;
}
