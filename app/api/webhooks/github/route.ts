import { defineRoute } from "@/lib/http/route";
import { githubWebhooks } from "@/lib/webhooks/endpoints";
import { receiveWebhook } from "@/lib/webhooks/receive";

// Signed webhook deliveries: the flow and its statuses are in lib/webhooks/receive.ts, docs in docs/webhooks.md.
// Never rate limited: senders retry in bursts, and every delivery is signed.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: (c) => receiveWebhook(c, githubWebhooks),
}, { rateLimit: false });
