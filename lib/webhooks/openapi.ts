import * as z from "zod";
import type { Operation } from "../openapi/operation";

const received = z.object({ received: z.literal(true), duplicate: z.literal(true).optional() });

const webhook = (path: string, summary: string, headers: Record<string, string>): Operation => ({
  method: "post",
  path,
  summary,
  tags: ["webhooks"],
  auth: "none",
  headers,
  rawBody: { contentType: "application/json", description: "The sender's payload, verified on its raw bytes (at most 1 MiB)" },
  responses: { 200: { description: "Recorded (or a duplicate of a recorded event)", schema: received } },
  problems: [400, 413],
});

export const webhookOperations: Operation[] = [
  webhook("/api/webhooks/stripe", "Stripe events (Stripe-Signature, HMAC-SHA256, ±300 s)", { "Stripe-Signature": "t=<unix>,v1=<hex>[,v1=…]" }),
  webhook("/api/webhooks/standard", "Standard Webhooks (webhook-id / -timestamp / -signature)", {
    "webhook-id": "Event id (dedupe key)",
    "webhook-timestamp": "Unix seconds (±5 min)",
    "webhook-signature": "Space-separated v1,<base64> entries",
  }),
  webhook("/api/webhooks/github", "GitHub deliveries (X-Hub-Signature-256)", {
    "X-Hub-Signature-256": "sha256=<hex>",
    "X-GitHub-Delivery": "Delivery id (dedupe key)",
    "X-GitHub-Event": "Event name",
  }),
];
