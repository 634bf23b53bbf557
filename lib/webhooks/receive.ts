/**
 * The one request flow behind every webhook route:
 *
 * 1. No usable secret configured → 503 `webhook-not-configured` (an error log line names the
 *    var). The sender keeps retrying, so nothing is lost while the secret is being set, and
 *    an unsigned event is never accepted.
 * 2. Raw body read once, counted in bytes: over 1 MiB → 413 before any crypto work.
 * 3. Signature, then timestamp (WebCrypto, verifier.ts) → 400 `webhook-<check>` on failure.
 * 4. Only then is the body decoded (UTF-8) and parsed: not a JSON object → 400.
 * 5. The event row and its side effect in one D1 batch (record.ts): 200 `{ received: true }`,
 *    200 `{ received: true, duplicate: true }` for an id already recorded, 500 when the batch
 *    fails (nothing kept, so the sender's retry processes it).
 *
 * Every refusal is a problem+json response and a warn/error log line with the request id; no
 * detail ever contains a secret or a signature.
 */
import { json, type RequestContext } from "../http/route";
import { sha256HexOfBytes } from "../core/encoding";
import { readBodyBytes } from "../http/body";
import { serializeError, type Logger } from "../core/log";
import { HttpError } from "../core/problem";
import type { EventHandler, VerifiedEvent, WebhookEndpoint } from "./define-endpoint";
import { recordEvent } from "./record";
import { WebhookConfigError, WebhookRejection, type SignedDelivery } from "./verifier";

/** Webhook bodies over 1 MiB are refused with 413 (exactly 1 MiB is fine). */
export const WEBHOOK_MAX_BYTES = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseObject(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch {
    throw new WebhookRejection("payload-not-json-object", "The signature is valid but the body is not UTF-8 JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WebhookRejection("payload-not-json-object", "The signature is valid but the body is not a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** A refused delivery: one warn line, and a 400 problem typed by the check that refused it. */
function rejected(err: WebhookRejection, log: Logger, fields: Record<string, unknown> = {}): HttpError {
  log.warn("webhook rejected", { check: err.check, detail: err.message, ...fields });
  return new HttpError(400, { type: `webhook-${err.check}`, title: "Webhook rejected", detail: err.message, errors: err.errors });
}

export async function receiveWebhook(c: RequestContext, endpoint: WebhookEndpoint): Promise<Response> {
  const source = endpoint.scheme.name;
  const log = c.log.with({ webhook: source });

  const verify = endpoint.verifierFor(c.config);
  if (verify instanceof WebhookConfigError) {
    log.error(`webhook endpoint not configured: ${verify.message} Refusing every ${source} delivery until it is set.`);
    throw new HttpError(503, {
      type: "webhook-not-configured",
      detail: "This webhook endpoint has no signing secret configured, so no delivery can be verified.",
    });
  }

  const { event, bodySha256 } = await readDelivery(c, { endpoint, verify, log });
  const handler = endpoint.handlerFor(event.type);
  const outcome = await recordDelivery(c, { event, bodySha256, handler, log });
  if (outcome === "duplicate") {
    log.info("webhook duplicate", { eventId: event.id, type: event.type });
    return json({ received: true, duplicate: true });
  }
  log.info("webhook accepted", { eventId: event.id, type: event.type, status: handler ? "processed" : "ignored" });
  return json({ received: true });
}

interface ReadOptions {
  endpoint: WebhookEndpoint;
  verify: Exclude<ReturnType<WebhookEndpoint["verifierFor"]>, WebhookConfigError>;
  log: Logger;
}

/** The raw body, verified, then parsed and identified: a refusal is a 400 typed by its check. */
async function readDelivery(c: RequestContext, { endpoint, verify, log }: ReadOptions) {
  try {
    const body = await readBodyBytes(c.request, WEBHOOK_MAX_BYTES);
    const delivery: SignedDelivery = await verify(c.request.headers, body);
    const payload = parseObject(body);
    const identity = endpoint.identify({ payload, delivery, headers: c.request.headers });
    const event: VerifiedEvent = { source: endpoint.scheme.name, ...identity, payload };
    return { event, bodySha256: endpoint.dedupeByBody ? await sha256HexOfBytes(body) : null };
  } catch (err) {
    if (err instanceof WebhookRejection) throw rejected(err, log);
    if (err instanceof HttpError) {
      log.warn("webhook rejected", { check: err.init.type, status: err.status, contentLength: c.request.headers.get("content-length") });
    }
    throw err;
  }
}

interface RecordOptions {
  event: VerifiedEvent;
  bodySha256: string | null;
  handler: EventHandler | undefined;
  log: Logger;
}

/** The event and its side effects, in one batch: recorded once, or a duplicate. */
async function recordDelivery(c: RequestContext, { event, bodySha256, handler, log }: RecordOptions): Promise<"recorded" | "duplicate"> {
  const nowMs = Date.now();
  try {
    // A handler may still refuse the payload (a field it needs is missing): a 400, nothing written.
    const effects = handler ? handler(event, c.db(), nowMs) : [];
    const status = handler ? "processed" : "ignored";
    const row = {
      source: event.source,
      id: event.id,
      type: event.type,
      status,
      eventCreated: event.created,
      receivedAt: nowMs,
      requestId: c.requestId,
      bodySha256,
    } as const;
    return await recordEvent(c.db(), row, effects);
  } catch (err) {
    if (err instanceof WebhookRejection) throw rejected(err, log, { eventId: event.id, type: event.type });
    log.error("webhook processing failed; nothing was recorded, the sender's retry will process it", {
      eventId: event.id,
      type: event.type,
      error: serializeError(err),
    });
    throw new HttpError(500, {
      type: "webhook-processing-failed",
      detail: "The event could not be processed and was not recorded; a retry will process it.",
    });
  }
}
