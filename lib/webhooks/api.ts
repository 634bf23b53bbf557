import * as z from "zod";
import type { Declaration, HeaderParam } from "../http/declaration";

const received = z.object({ received: z.literal(true), duplicate: z.literal(true).optional() });

/** The payload is verified on its raw bytes, then must parse as a JSON object (else 400). */
const payload = z.looseObject({}).describe("The sender's event, a JSON object");
/** A Stripe event needs its id (the dedupe key) and type; handled types need their own fields. */
const stripeEvent = z
  .looseObject({ id: z.string().min(1).max(255), type: z.string().min(1).max(255) })
  .describe("A Stripe event object; the handled types also need `created` and `data.object`");

/** A header the scheme cannot do without: leaving it out is a 400. */
const required = (description: string): HeaderParam => ({ description, required: true });

/** What every sender's endpoint does; each adds what is its own. */
const common =
  "Verified with WebCrypto on the raw bytes before anything is parsed, then recorded once per sender and event id (with its side effect, in one D1 batch): " +
  "a redelivery answers `duplicate: true` and changes nothing. A refusal's problem type names the check that failed (e.g. `webhook-signature-mismatch`); " +
  "503 `webhook-not-configured` while the sender's secret is unset. Not rate-limited.";

interface WebhookDeclaration {
  summary: string;
  /** What this sender's endpoint adds to what every one does. */
  description: string;
  /** The sender's signature and id headers (checked by the receiver, which names what failed). */
  headers: Record<string, string | HeaderParam>;
  /** The payload's documented shape (default: any JSON object). */
  body?: z.ZodType;
}

const webhook = ({ summary, description, headers, body = payload }: WebhookDeclaration) =>
  ({
    summary,
    description: `${common} ${description}`,
    tags: ["webhooks"],
    auth: "none",
    rateLimit: false,
    headers,
    rawBody: {
      contentType: "application/json",
      description: "The sender's payload, verified on its raw bytes (at most 1 MiB)",
      schema: body,
    },
    responses: { 200: { description: "Recorded (or a duplicate of a recorded event)", schema: received } },
    problems: [400, 413],
  }) satisfies Declaration;

export const stripeWebhook = webhook({
  summary: "Stripe events (Stripe-Signature, HMAC-SHA256, ±300 s)",
  description:
    "The event's `id` is the dedupe key. checkout.session.completed records an order, customer.subscription.* updates the subscription " +
    "(an older event never overwrites newer state); other types are recorded as ignored.",
  headers: { "Stripe-Signature": required("t=<unix>,v1=<hex>[,v1=…]") },
  body: stripeEvent,
});

export const standardWebhook = webhook({
  summary: "Standard Webhooks (webhook-id / -timestamp / -signature)",
  description: "`webhook-id` is the dedupe key; the timestamp must be within ±300 s. The event is recorded, with no side effect.",
  headers: {
    "webhook-id": required("Event id (dedupe key), 1-255 visible ASCII"),
    "webhook-timestamp": required("Unix seconds (±5 min)"),
    "webhook-signature": required("Space-separated v1,<base64> entries"),
  },
});

export const githubWebhook = webhook({
  summary: "GitHub deliveries (X-Hub-Signature-256)",
  description:
    "X-GitHub-Delivery and the body's SHA-256 are the dedupe keys (GitHub signs no timestamp). The event is recorded, with no side effect.",
  headers: {
    "X-Hub-Signature-256": required("sha256=<hex>"),
    "X-GitHub-Delivery": required("Delivery id (dedupe key), 1-255 visible ASCII"),
    "X-GitHub-Event": "Event name",
  },
});
