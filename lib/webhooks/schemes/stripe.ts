/**
 * Stripe's scheme: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 over
 * `${t}.${rawBody}` keyed with the endpoint secret used as a literal string (`whsec_...`, not
 * base64-decoded). Several `v1` entries arrive while a secret is being rolled; any may match.
 * Other schemes (Stripe's test-only `v0`) are ignored, as Stripe's own libraries do, and so is
 * a `v1` value that is not hex: it can never match, but the others still may.
 */
import { hexToBytes } from "../../core/encoding";
import { WebhookRejection, type SignatureScheme } from "../verifier";

const TIMESTAMP = /^\d{1,12}$/;
const encoder = new TextEncoder();

export const stripeScheme: SignatureScheme = {
  name: "stripe",
  secretVar: "STRIPE_WEBHOOK_SECRET",
  toleranceSeconds: 300,
  keyBytes: (secret) => encoder.encode(secret),
  parse(headers) {
    const header = headers.get("stripe-signature");
    if (header === null || header.trim() === "") {
      throw new WebhookRejection("signature-header-missing", "The Stripe-Signature header is missing.");
    }
    let t: string | undefined;
    const v1: string[] = [];
    for (const part of header.split(",")) {
      const eq = part.indexOf("=");
      if (eq < 0) continue;
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (key === "t") {
        if (t !== undefined)
          throw new WebhookRejection("signature-header-malformed", "The Stripe-Signature header has more than one t= timestamp.");
        t = value;
      } else if (key === "v1") {
        v1.push(value);
      }
    }
    if (t === undefined || !TIMESTAMP.test(t)) {
      throw new WebhookRejection("signature-header-malformed", "The Stripe-Signature header has no valid t= timestamp (unix seconds).");
    }
    if (v1.length === 0) {
      throw new WebhookRejection("signature-header-malformed", "The Stripe-Signature header has no v1= signature.");
    }
    return {
      // The timestamp exactly as sent: the sender signed these characters.
      prefix: `${t}.`,
      signatures: v1.map(hexToBytes).filter((s) => s !== null),
      timestamp: Number(t),
    };
  },
};
