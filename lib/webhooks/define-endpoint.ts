/**
 * A webhook endpoint = a signature scheme + where its secrets come from + how a verified
 * payload names its event + which event types have side effects. `receiveWebhook` (receive.ts)
 * runs the same flow for all of them, so adding a scheme is a scheme file and a definition.
 *
 * @example
 * ```ts
 * export const githubWebhooks = defineWebhookEndpoint({
 *   scheme: githubScheme,
 *   secrets: (config) => config.webhooks.githubSecrets,
 *   identify: ({ delivery, headers }) => ({ id: delivery.id!, type: headers.get("x-github-event"), created: null }),
 * });
 * ```
 */
import type { Config } from "../config";
import type { Db } from "../db/client";
import type { Effect } from "./record";
import { createWebhookVerifier, WebhookConfigError, type SignatureScheme, type SignedDelivery, type WebhookVerifier } from "./verifier";

/** A verified event, as handlers see it. */
export interface VerifiedEvent {
  source: string;
  id: string;
  type: string | null;
  /** The sender's time for the event, unix seconds, when it gives one. */
  created: number | null;
  payload: Record<string, unknown>;
}

export interface EventIdentity {
  id: string;
  type: string | null;
  created: number | null;
}

/**
 * Builds the statements of an event's side effect; they commit in the batch that records the
 * event. Throws WebhookRejection("payload-invalid") when the payload lacks what it needs.
 */
export type EventHandler = (event: VerifiedEvent, db: Db, nowMs: number) => Effect[];

export interface WebhookEndpointOptions {
  scheme: SignatureScheme;
  secrets: (config: Config) => readonly string[];
  /** The event's id/type/created; throws WebhookRejection("payload-invalid"). */
  identify: (input: { payload: Record<string, unknown>; delivery: SignedDelivery; headers: Headers }) => EventIdentity;
  /** Side effects by event type; any other type is recorded as "ignored". */
  handlers?: Readonly<Record<string, EventHandler>>;
  /**
   * The sender signs only the body (no id, no timestamp), so a captured delivery could be
   * replayed under a new id: a body already received is then a duplicate, whatever its id.
   */
  dedupeByBody?: boolean;
}

export interface WebhookEndpoint extends WebhookEndpointOptions {
  /** The verifier for this config, made once per isolate; a WebhookConfigError when unusable. */
  verifierFor(config: Config): WebhookVerifier | WebhookConfigError;
  /**
   * The side effect for an event type, if it has one. The type comes from the signed payload,
   * i.e. from the sender: looked up in a Map, so a type named like an Object member
   * (`constructor`, `toString`, `__proto__`) is just an unhandled type.
   */
  handlerFor(type: string | null): EventHandler | undefined;
}

export function defineWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
  const verifiers = new WeakMap<Config, WebhookVerifier | WebhookConfigError>();
  const handlers = new Map(Object.entries(options.handlers ?? {}));
  return {
    ...options,
    handlerFor: (type) => (type === null ? undefined : handlers.get(type)),
    verifierFor(config) {
      let verifier = verifiers.get(config);
      if (!verifier) {
        try {
          verifier = createWebhookVerifier(options.scheme, { secrets: options.secrets(config) });
        } catch (err) {
          if (!(err instanceof WebhookConfigError)) throw err;
          verifier = err;
        }
        verifiers.set(config, verifier);
      }
      return verifier;
    },
  };
}
