/**
 * SigV4 query-string presigning (WebCrypto) for any S3-compatible store: R2's S3 API, an
 * `R2_S3_ENDPOINT`, or the Worker's own dev endpoint. Region `auto` (R2). Whatever the store
 * must enforce is signed: Content-Type and the exact Content-Length of a PUT (so a body of any
 * other length or type is refused by the store itself), and query parameters such as a
 * part number or `response-content-disposition`. No checksum parameters are added.
 *
 * A presigner derives the SigV4 signing key once (four HMACs, one key import) and then signs
 * each URL with one SHA-256 and one HMAC over strings it builds itself: signing a multipart
 * upload's parts costs little per part. Measured in workerd (`wrangler dev`, 10 000 part URLs
 * signed in a loop, CPU of the process): aws4fetch's signer, which derives and imports the key
 * again for every URL, ~0.09 ms per URL; with its key cache ~0.06 ms, most of it URL and
 * URLSearchParams work; this ~0.02 ms. Its signatures are the ones aws4fetch computes for the
 * same request (a property test holds them equal); aws4fetch still makes the Worker's own store
 * calls and checks signatures at the dev endpoint. The URL's query is the canonical query itself: names and values RFC 3986-encoded,
 * sorted, `X-Amz-Signature` last.
 */

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
}

export interface PresignerOptions {
  /** The signing time, `YYYYMMDDTHHMMSSZ` (tests); default now. Every URL of one presigner shares it. */
  datetime?: string;
}

export interface Presigner {
  sign(req: PresignRequest): Promise<string>;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const encoder = new TextEncoder();

const hex = (buf: ArrayBuffer) => {
  let out = "";
  for (const b of new Uint8Array(buf)) out += b.toString(16).padStart(2, "0");
  return out;
};

const hmacKey = (raw: BufferSource) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const hmac = async (raw: BufferSource, data: string) => crypto.subtle.sign("HMAC", await hmacKey(raw), encoder.encode(data));

/** `2013-05-24T00:00:00.000Z` → `20130524T000000Z`. */
/** `20130524T000000Z`: SigV4's signing time, from which `X-Amz-Expires` counts. */
export const amzDatetime = (d: Date) => d.toISOString().replace(/[:-]|\.\d{3}/g, "");

/** RFC 3986 unreserved-only encoding, as SigV4 canonical requests need it. */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** S3's canonical URI: the decoded path encoded once more, slashes kept. */
function canonicalPath(pathname: string): string {
  let path = pathname;
  try {
    path = decodeURIComponent(pathname.replace(/\+/g, " "));
  } catch {
    /* a malformed escape is signed as it stands */
  }
  return uriEncode(path).replace(/%2F/g, "/");
}

/**
 * The canonical query string (names and values RFC 3986-encoded, sorted by name then value). It
 * is also the query of the URL handed out: any S3 store decodes it to the same parameters.
 */
function canonicalQuery(params: ReadonlyMap<string, string>): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of params) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort(([k1], [k2]) => (k1 < k2 ? -1 : k1 > k2 ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** A header value as a Fetch `Headers` holds it (ends trimmed), with inner whitespace runs folded. */
const headerValue = (v: string) => v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "").replace(/\s+/g, " ");

/** Signs any number of URLs for one store at one instant, deriving the signing key once. */
export async function createPresigner(target: S3Target, options: PresignerOptions = {}): Promise<Presigner> {
  const datetime = options.datetime ?? amzDatetime(new Date());
  const date = datetime.slice(0, 8);
  const scope = `${date}/${target.region}/s3/aws4_request`;
  const credential = `${target.accessKeyId}/${scope}`;
  const kDate = await hmac(encoder.encode(`AWS4${target.secretAccessKey}`), date);
  const kRegion = await hmac(kDate, target.region);
  const kService = await hmac(kRegion, "s3");
  const signingKey = await hmacKey(await hmac(kService, "aws4_request"));

  // One key's URL parts, kept while the same key is signed again (every part of an upload).
  let located: { key: string; base: string; host: string; path: string } | undefined;
  const locate = (key: string) => {
    if (located?.key !== key) {
      const url = new URL(objectUrl(target, key));
      located = { key, base: `${url.origin}${url.pathname}`, host: url.host, path: canonicalPath(url.pathname) };
    }
    return located;
  };

  return {
    async sign(req) {
      const { base, host, path } = locate(req.key);
      // Signed headers, sorted by name: content-length < content-type < host.
      const headers: [string, string][] = [];
      if (req.contentLength !== undefined) headers.push(["content-length", String(req.contentLength)]);
      if (req.contentType !== undefined) headers.push(["content-type", headerValue(req.contentType)]);
      headers.push(["host", host]);
      const signedHeaders = headers.map(([name]) => name).join(";");
      const params = new Map(Object.entries(req.query ?? {}).filter(([name]) => name !== ""));
      params.set("X-Amz-Expires", String(req.expiresIn));
      params.set("X-Amz-Date", datetime);
      params.set("X-Amz-Algorithm", ALGORITHM);
      params.set("X-Amz-Credential", credential);
      params.set("X-Amz-SignedHeaders", signedHeaders);
      const query = canonicalQuery(params);
      const canonicalRequest = [
        req.method,
        path,
        query,
        headers.map(([name, value]) => `${name}:${value}\n`).join(""),
        signedHeaders,
        "UNSIGNED-PAYLOAD",
      ].join("\n");
      const hashed = hex(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalRequest)));
      const signature = hex(await crypto.subtle.sign("HMAC", signingKey, encoder.encode(`${ALGORITHM}\n${datetime}\n${scope}\n${hashed}`)));
      return `${base}?${query}&X-Amz-Signature=${signature}`;
    },
  };
}

/** One presigned URL (for several at once, `createPresigner`). */
export async function presign(target: S3Target, req: PresignRequest & PresignerOptions): Promise<string> {
  return (await createPresigner(target, { datetime: req.datetime })).sign(req);
}
