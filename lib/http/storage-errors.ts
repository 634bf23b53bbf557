/**
 * Which thrown errors mean "storage is unavailable right now" (answer 503 + Retry-After, the
 * client may retry) as opposed to a bug or a broken invariant (answer 500, logged).
 *
 * Only errors that D1 and R2 document as transient count. D1 and R2 bindings throw plain
 * `Error`s whose only machine-readable part is their message, so the rule is a fixed table of
 * the exact phrases (D1) and error codes (R2) Cloudflare lists as "retry", plus errors the
 * runtime itself flags `retryable`. Anything else — a constraint violation, a missing table, a
 * type error — is not an outage: retrying it would fail the same way.
 */

/** Phrases of D1's transient errors (its error list's "retry" rows). */
const D1_TRANSIENT = [
  "Network connection lost",
  "storage caused object to be reset",
  "reset because its code was updated",
  "D1 DB is overloaded",
  "Requests queued for too long",
  "Cannot resolve D1 DB due to transient issue",
  "D1 DB storage operation exceeded timeout",
  "Internal error while starting up D1 DB storage",
] as const;

/** R2's error codes that ask for a retry: internal error, service unavailable, too many requests. */
const R2_TRANSIENT_CODES = ["(10001)", "(10043)", "(10058)"] as const;

const MAX_CAUSE_DEPTH = 5;

function isTransient(e: Error): boolean {
  if ((e as { retryable?: unknown }).retryable === true) return true;
  const message = e.message;
  return D1_TRANSIENT.some((phrase) => message.includes(phrase)) || R2_TRANSIENT_CODES.some((code) => message.endsWith(code));
}

/** True when `err`, or an error in its `cause` chain (drizzle wraps D1's), is a storage outage. */
export function isStorageUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < MAX_CAUSE_DEPTH; e = e.cause, depth++) {
    if (isTransient(e)) return true;
  }
  return false;
}
