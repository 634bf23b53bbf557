/**
 * Webhook signature verification on WebCrypto, one algorithm for every HMAC-SHA256 scheme.
 *
 * A scheme (lib/webhooks/schemes/*) only says how to read its headers: which bytes precede the
 * raw body in the signed content, the candidate signatures, the timestamp and delivery id, and
 * how a configured secret becomes key bytes. Everything else is shared: keys imported once, the
 * HMAC computed once per secret over the signed content, each candidate signature compared with
 * it in constant time, then the timestamp tolerance in both directions.
 *
 * @example
 * ```ts
 * const verify = createWebhookVerifier(stripe, { secrets: ["whsec_new", "whsec_old"] });
 * const delivery = await verify(request.headers, rawBody); // throws WebhookRejection
 * ```
 * Options (resolved once, when the verifier is made):
 * - `secrets`: every accepted secret; any one matching passes (rotation). At least one.
 * - `toleranceSeconds`: overrides the scheme's tolerance (Stripe and Standard Webhooks: 300).
 * - `now`: the clock in unix seconds; tests pin it.
 */
import { concatBytes, timingSafeEqual, type Bytes } from "../core/encoding";

/** Which check refused a delivery; it becomes the problem type `webhook-<check>`. */
export type RejectionCheck =
  | "signature-header-missing"
  | "signature-header-malformed"
  | "id-header-missing"
  | "id-header-invalid"
  | "signature-mismatch"
  | "timestamp-outside-tolerance"
  | "payload-not-json-object"
  | "payload-invalid";

/** A delivery that failed a check. `detail` is safe to send back: it never holds a secret. */
export class WebhookRejection extends Error {
  readonly check: RejectionCheck;
  readonly errors?: Record<string, string[]>;

  constructor(check: RejectionCheck, detail: string, errors?: Record<string, string[]>) {
    super(detail);
    this.name = "WebhookRejection";
    this.check = check;
    this.errors = errors;
  }
}

/** A configured secret that cannot be a key (e.g. a `whsec_` value that is not base64). */
export class WebhookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookConfigError";
  }
}

/** What a scheme reads from the headers before any crypto. */
export interface SignedDelivery {
  /** The signed content is these UTF-8 bytes followed by the raw body. */
  prefix: string;
  /** Candidate signatures (already decoded); one matching any secret is enough. */
  signatures: readonly Bytes[];
  /** Unix seconds, when the scheme signs one. */
  timestamp?: number;
  /** The delivery id, when the scheme sends it as a header. */
  id?: string;
}

export interface SignatureScheme {
  /** Short name; also the `source` of recorded events. */
  readonly name: string;
  /** The var holding its secrets, for log lines (never the value). */
  readonly secretVar: string;
  /** Largest accepted |now − timestamp| in seconds; undefined when the scheme signs no timestamp. */
  readonly toleranceSeconds?: number;
  /** HMAC key bytes for one configured secret; null when the value is unusable. */
  keyBytes(secret: string): Bytes | null;
  /** Reads the signature headers; throws WebhookRejection when they are missing or malformed. */
  parse(headers: Headers): SignedDelivery;
}

export interface VerifierOptions {
  secrets: readonly string[];
  toleranceSeconds?: number;
  now?: () => number;
}

export type WebhookVerifier = (headers: Headers, body: Uint8Array) => Promise<SignedDelivery>;

/**
 * More candidates than this is not rotation but a header built to make us compare in vain
 * (the HMAC itself is computed once per secret, whatever the number of candidates).
 */
export const MAX_SIGNATURES = 8;

const encoder = new TextEncoder();

export function createWebhookVerifier(scheme: SignatureScheme, options: VerifierOptions): WebhookVerifier {
  if (options.secrets.length === 0) throw new WebhookConfigError(`${scheme.secretVar} is not set.`);
  const rawKeys = options.secrets.map((secret, i) => {
    const bytes = scheme.keyBytes(secret);
    if (!bytes || bytes.byteLength === 0) {
      throw new WebhookConfigError(
        `${scheme.secretVar} entry ${i + 1} of ${options.secrets.length} is not a usable ${scheme.name} secret.`,
      );
    }
    return bytes;
  });
  const tolerance = options.toleranceSeconds ?? scheme.toleranceSeconds;
  const now = options.now ?? (() => Date.now() / 1000);
  let keys: Promise<CryptoKey[]> | undefined;
  const importKeys = () =>
    (keys ??= Promise.all(rawKeys.map((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]))));

  return async (headers, body) => {
    const delivery = scheme.parse(headers);
    if (delivery.signatures.length > MAX_SIGNATURES) {
      throw new WebhookRejection("signature-header-malformed", `The signature header carries more than ${MAX_SIGNATURES} signatures.`);
    }
    const content = concatBytes(encoder.encode(delivery.prefix), body);
    let matched = false;
    for (const key of await importKeys()) {
      const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
      if (delivery.signatures.some((signature) => timingSafeEqual(expected, signature))) {
        matched = true;
        break;
      }
    }
    if (!matched) {
      throw new WebhookRejection("signature-mismatch", "No signature in the header matches the body for any configured secret.");
    }
    // After the signature: a forged request learns nothing about our clock, and a genuine but
    // late delivery is reported as what it is.
    if (tolerance !== undefined && delivery.timestamp !== undefined) {
      const skew = Math.floor(now()) - delivery.timestamp;
      if (Math.abs(skew) > tolerance) {
        const when = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
        throw new WebhookRejection(
          "timestamp-outside-tolerance",
          `The signed timestamp is ${when}; at most ${tolerance} s either way is accepted.`,
        );
      }
    }
    return delivery;
  };
}
