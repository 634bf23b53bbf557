import { defineRoute, endpoint } from "@/lib/http/route";
import * as api from "@/lib/webhooks/api";
import { githubWebhooks } from "@/lib/webhooks/endpoints";
import { receiveWebhook } from "@/lib/webhooks/receive";

// A signed delivery: the flow and its statuses are in lib/webhooks/receive.ts, docs in docs/webhooks.md.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.githubWebhook, (c) => receiveWebhook(c, githubWebhooks)),
});
