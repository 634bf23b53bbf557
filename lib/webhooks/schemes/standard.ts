/**
 * Standard Webhooks (standardwebhooks.com, spec v1): `webhook-id`, `webhook-timestamp` (unix
 * seconds) and `webhook-signature` (space-separated `v1,<base64>` entries; other versions such
 * as the asymmetric `v1a` are skipped). HMAC-SHA256 over `${id}.${timestamp}.${rawBody}` keyed
 * with the base64-decoded secret (the `whsec_` prefix is optional, as in the reference library).
 * ±5 minutes. The `webhook-id` is signed, so it is checked first and is the dedupe key.
 */
import { base64ToBytes } from "../../core/encoding";
import { WebhookRejection, type SignatureScheme } from "../verifier";
import { deliveryIdHeader } from "./ids";

const TIMESTAMP = /^\d{1,12}$/;

export const standardScheme: SignatureScheme = {
  name: "standard",
  secretVar: "STANDARD_WEBHOOK_SECRET",
  toleranceSeconds: 300,
  keyBytes: (secret) => base64ToBytes(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret),
  parse(headers) {
    const id = deliveryIdHeader(headers, "webhook-id");
    const t = headers.get("webhook-timestamp");
    const header = headers.get("webhook-signature");
    if (t === null || t.trim() === "") throw new WebhookRejection("signature-header-missing", "The webhook-timestamp header is missing.");
    if (header === null || header.trim() === "")
      throw new WebhookRejection("signature-header-missing", "The webhook-signature header is missing.");
    if (!TIMESTAMP.test(t)) throw new WebhookRejection("signature-header-malformed", "The webhook-timestamp header must be unix seconds.");

    const v1 = header
      .split(" ")
      .filter((entry) => entry.startsWith("v1,"))
      .map((entry) => entry.slice(3));
    if (v1.length === 0) throw new WebhookRejection("signature-header-malformed", "The webhook-signature header has no v1,<base64> entry.");
    return {
      prefix: `${id}.${t}.`,
      signatures: v1.map(base64ToBytes).filter((s) => s !== null),
      timestamp: Number(t),
      id,
    };
  },
};
