import type { Config } from "../config";
import { HttpError } from "../core/problem";
import type { S3Target } from "./presign";

export const DEV_S3_PATH = "/api/dev-s3";
/** Not a secret: the dev endpoint's access key id only names which key signed. */
export const DEV_S3_ACCESS_KEY_ID = "ROUTEFLARE-DEV";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const realCredentials = (r2: Config["uploads"]["r2"]) => Boolean(r2.accessKeyId && r2.secretAccessKey && (r2.accountId || r2.s3Endpoint));

/** R2 (or another S3-compatible store) credentials are set: the Worker talks to its S3 API. */
export const hasStoreCredentials = (config: Config) => realCredentials(config.uploads.r2);

/**
 * The Worker's S3-compatible dev endpoint exists only in development with no R2 credentials, and
 * only with a secret to derive its key from (AUTH_SECRET or the checkout's DEV_SECRET).
 */
export const devEndpointEnabled = (config: Config) =>
  config.development && !realCredentials(config.uploads.r2) && config.auth.secret !== undefined;

const derived = new WeakMap<Config, Promise<Credentials>>();

/**
 * The dev endpoint's signing key is derived from this server's auth secret (AUTH_SECRET, or the
 * checkout's random DEV_SECRET) by HMAC-SHA256 with a fixed label, so nobody can forge a dev URL
 * from reading the source: only a server with the same secret can sign or check one. Resolved
 * once per config; call it only where `devEndpointEnabled` holds.
 */
export function devCredentials(config: Config): Promise<Credentials> {
  const secret = config.auth.secret;
  if (secret === undefined) throw new Error("The dev S3 endpoint has no secret to derive its key from.");
  let creds = derived.get(config);
  if (!creds) {
    creds = (async () => {
      const material = new TextEncoder().encode(secret);
      const key = await crypto.subtle.importKey("raw", material, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("routeflare dev-s3 signing key v1"));
      const secretAccessKey = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
      return { accessKeyId: DEV_S3_ACCESS_KEY_ID, secretAccessKey };
    })();
    derived.set(config, creds);
  }
  return creds;
}

export const notConfigured = () =>
  new HttpError(503, {
    type: "uploads-not-configured",
    detail: "Uploads need R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY and R2_ACCOUNT_ID (or R2_S3_ENDPOINT).",
    headers: { "retry-after": "3600" },
  });

/** The store's own S3 API, R2's or R2_S3_ENDPOINT: null without credentials. */
export function storeTarget(config: Config): S3Target | null {
  const r2 = config.uploads.r2;
  if (!realCredentials(r2)) return null;
  return {
    endpoint: r2.s3Endpoint ?? `https://${r2.accountId}.r2.cloudflarestorage.com`,
    bucket: r2.bucketName,
    accessKeyId: r2.accessKeyId!,
    secretAccessKey: r2.secretAccessKey!,
    region: "auto",
  };
}

/** Where presigned URLs point: R2's S3 API, R2_S3_ENDPOINT, or (development) this Worker. */
export async function s3TargetFor(config: Config, origin: string): Promise<S3Target> {
  const target = storeTarget(config);
  if (target) return target;
  if (devEndpointEnabled(config))
    return { endpoint: `${origin}${DEV_S3_PATH}`, bucket: config.uploads.r2.bucketName, region: "auto", ...(await devCredentials(config)) };
  throw notConfigured();
}
