/** Delivery ids from headers: what `webhook_events.id` may hold (visible ASCII, 1–255 chars). */
import { WebhookRejection } from "../verifier";

const DELIVERY_ID = /^[\x21-\x7e]{1,255}$/;

export function deliveryIdHeader(headers: Headers, name: string): string {
  const id = headers.get(name);
  if (id === null || id.trim() === "")
    throw new WebhookRejection("id-header-missing", `The ${name} header is missing; it identifies the delivery.`);
  if (!DELIVERY_ID.test(id)) throw new WebhookRejection("id-header-invalid", `The ${name} header must be 1–255 visible ASCII characters.`);
  return id;
}
