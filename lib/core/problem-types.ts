/**
 * Every problem type the API answers with: the slug becomes the `type` URI `/problems/<slug>`.
 * Code may only throw these (the type checker enforces it), and the OpenAPI document and the
 * API reference list them from here, so the three cannot drift apart.
 */
export const PROBLEM_TYPES = {
  validation: { status: 400, summary: "A field is missing, of the wrong type or out of range; `errors` names each field." },
  "bad-request": { status: 400, summary: "The request cannot be understood (for example a malformed header or query)." },
  "malformed-json": { status: 400, summary: "The body is not UTF-8, not JSON, or not a JSON object." },
  "invalid-parts": { status: 400, summary: "The store refused the multipart part list (a part missing, or an ETag it did not return)." },
  "invalid-cursor": { status: 400, summary: "The pagination cursor was altered, forged, or belongs to another list." },
  "webhook-signature-header-missing": { status: 400, summary: "The webhook's signature header is missing." },
  "webhook-signature-header-malformed": { status: 400, summary: "The webhook's signature header cannot be parsed." },
  "webhook-id-header-missing": { status: 400, summary: "The webhook's delivery id header is missing." },
  "webhook-id-header-invalid": { status: 400, summary: "The webhook's delivery id header is not acceptable." },
  "webhook-signature-mismatch": { status: 400, summary: "No signature matches the body for any configured secret." },
  "webhook-timestamp-outside-tolerance": { status: 400, summary: "The signed timestamp is too old or too far in the future." },
  "webhook-payload-not-json-object": { status: 400, summary: "The signature is valid but the body is not a JSON object." },
  "webhook-payload-invalid": { status: 400, summary: "The event lacks a field its type needs." },
  unauthenticated: { status: 401, summary: "No bearer token was sent to a route that needs one." },
  "invalid-token": { status: 401, summary: "The bearer token is malformed, expired, not yet valid, or fails verification." },
  forbidden: { status: 403, summary: "The caller may not do this (for example, not the owner)." },
  "signature-does-not-match": { status: 403, summary: "A presigned URL's signature, expiry or signed headers do not match." },
  "not-found": { status: 404, summary: "No such route or resource (also for what the caller may not see)." },
  "method-not-allowed": { status: 405, summary: "The route exists but not for this method; `Allow` lists its methods." },
  "length-required": { status: 411, summary: "The store needs a Content-Length." },
  "write-conflict": { status: 409, summary: "The post kept changing while the write was applied; nothing was written, retry." },
  "upload-completed": { status: 409, summary: "The multipart upload is already completed: no more parts, listing or abort." },
  "precondition-failed": { status: 412, summary: "`If-Match` does not match the current ETag; nothing was written." },
  "body-too-large": { status: 413, summary: "The body is larger than the limit (counted on the raw bytes)." },
  "unsupported-media-type": { status: 415, summary: "The body is not `application/json`." },
  "idempotency-key-reused": { status: 422, summary: "The Idempotency-Key was used before with another body." },
  "upload-mismatch": { status: 422, summary: "The uploaded object does not match its declaration; it was deleted." },
  "rate-limited": { status: 429, summary: "Over a rate-limit policy; retry after `Retry-After` seconds. Nothing was done." },
  internal: { status: 500, summary: "An unexpected failure; it was logged, the detail leaks nothing." },
  "webhook-processing-failed": { status: 500, summary: "The verified event could not be stored; the sender should retry." },
  "storage-unavailable": { status: 503, summary: "D1 or R2 is unavailable; retry after `Retry-After` seconds." },
  "auth-not-configured": { status: 503, summary: "Token verification is not configured safely (the detail names the missing setting)." },
  "auth-unavailable": { status: 503, summary: "The identity provider's signing keys cannot be fetched; retry after `Retry-After`." },
  "uploads-not-configured": { status: 503, summary: "Upload signing credentials are not configured." },
  "webhook-not-configured": { status: 503, summary: "The webhook endpoint has no signing secret configured." },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** Problem `type` URIs are relative references under /problems/. */
export const problemType = (slug: ProblemSlug) => `/problems/${slug}`;
