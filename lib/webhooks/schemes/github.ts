/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the
 * webhook secret as a literal string. There is no signed timestamp, so replays are stopped by
 * the dedupe on `X-GitHub-Delivery` (a GUID GitHub keeps across redeliveries). The legacy SHA-1
 * `X-Hub-Signature` is not accepted.
 */
import { hexToBytes } from "../../core/encoding";
import { WebhookRejection, type SignatureScheme } from "../verifier";
import { deliveryIdHeader } from "./ids";

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const encoder = new TextEncoder();

export const githubScheme: SignatureScheme = {
  name: "github",
  secretVar: "GITHUB_WEBHOOK_SECRET",
  keyBytes: (secret) => encoder.encode(secret),
  parse(headers) {
    const id = deliveryIdHeader(headers, "X-GitHub-Delivery");
    const header = headers.get("x-hub-signature-256");
    if (header === null || header.trim() === "") {
      throw new WebhookRejection("signature-header-missing", "The X-Hub-Signature-256 header is missing.");
    }
    const match = SIGNATURE.exec(header.trim());
    if (!match) throw new WebhookRejection("signature-header-malformed", "The X-Hub-Signature-256 header must be sha256=<64 hex digits>.");
    return { prefix: "", signatures: [hexToBytes(match[1]!)!], id };
  },
};
