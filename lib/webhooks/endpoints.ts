/** The three webhook endpoints (GitHub, Stripe, Standard Webhooks): one scheme, secret list and event identity each. */
import { defineWebhookEndpoint } from "./define-endpoint";
import { githubScheme } from "./schemes/github";
import { standardScheme } from "./schemes/standard";
import { stripeScheme } from "./schemes/stripe";
import { identifyStripeEvent, stripeHandlers } from "./stripe-events";

/** Stripe: the event `id` is the dedupe key; orders and subscriptions are its side effects. */
export const stripeWebhooks = defineWebhookEndpoint({
  scheme: stripeScheme,
  secrets: (config) => config.webhooks.stripeSecrets,
  identify: ({ payload }) => identifyStripeEvent(payload),
  handlers: stripeHandlers,
});

/** Standard Webhooks: dedupe by the signed `webhook-id`; the payload's `type` is recorded. */
export const standardWebhooks = defineWebhookEndpoint({
  scheme: standardScheme,
  secrets: (config) => config.webhooks.standardSecrets,
  identify: ({ payload, delivery }) => ({
    id: delivery.id!,
    type: typeof payload.type === "string" && payload.type !== "" ? payload.type.slice(0, 255) : null,
    created: delivery.timestamp ?? null,
  }),
});

/**
 * GitHub: dedupe by `X-GitHub-Delivery`, and by the body: GitHub signs neither a timestamp nor
 * the delivery id, so the same signed body under a new id is a replay. The type is the
 * `X-GitHub-Event` header.
 */
export const githubWebhooks = defineWebhookEndpoint({
  scheme: githubScheme,
  dedupeByBody: true,
  secrets: (config) => config.webhooks.githubSecrets,
  identify: ({ delivery, headers }) => ({
    id: delivery.id!,
    type: headers.get("x-github-event")?.slice(0, 255) || null,
    created: null,
  }),
});
