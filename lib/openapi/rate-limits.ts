/**
 * Which rate-limit policies can answer 429 for a documented operation, so the document lists
 * the 429 (with Retry-After and RateLimit-Policy) exactly where the pipeline enforces one: by
 * the same declaration (`rateLimit`) and the same rule (a write by an authenticated caller
 * counts against the endpoint's own policy). test/integration/rate-limits.test.ts holds the two
 * together against the running Worker.
 */
import type { Operation } from "../http/declaration";
import type { PolicyName } from "../http/rate-limit-policies";

const WRITES = new Set(["post", "put", "patch", "delete"]);

/** The policies a request to `op` may count against, most specific first; empty when never limited. */
export function rateLimitPolicies(op: Pick<Operation, "method" | "rateLimit">): PolicyName[] {
  if (op.rateLimit === false) return [];
  const own = WRITES.has(op.method) ? op.rateLimit : undefined;
  return [own ?? "authenticated", "anonymous"];
}
