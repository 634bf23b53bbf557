/**
 * Where presigned URLs point in development without store credentials: the Worker's own
 * S3-compatible endpoint (s3.ts, served at `/api/dev-s3`), signed with a key derived from this
 * server's secret. Its callers hand `devS3Target` to lib/uploads as its `local` target, through
 * stand-ins.ts.
 */
import type { Config } from "../config";
import { hasStoreCredentials, type LocalTarget } from "../uploads/target";

const DEV_S3_PATH = "/api/dev-s3";
/** Not a secret: the dev endpoint's access key id only names which key signed. */
const DEV_S3_ACCESS_KEY_ID = "ROUTEFLARE-DEV";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The Worker's S3-compatible dev endpoint exists only in development with no R2 credentials, and
 * only with a secret to derive its key from (AUTH_SECRET or the checkout's DEV_SECRET).
 */
export const devEndpointEnabled = (config: Config) =>
  config.development && !hasStoreCredentials(config) && config.auth.secret !== undefined;

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

/** The dev endpoint on `origin` where it is enabled (`devEndpointEnabled`), else null. */
export const devS3Target: LocalTarget = async (config, origin) => {
  if (!devEndpointEnabled(config)) return null;
  return { endpoint: `${origin}${DEV_S3_PATH}`, bucket: config.uploads.r2.bucketName, region: "auto", ...(await devCredentials(config)) };
};
