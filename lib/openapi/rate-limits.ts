/**
 * Which rate-limit policies can answer 429 for a documented operation, so the document lists
 * the 429 (with Retry-After and RateLimit-Policy) exactly where the routes enforce one. The
 * routes declare their policy in `defineRoute` options; this mirrors those declarations by path,
 * and test/integration/rate-limits.test.ts holds the two together (every operation's real
 * response carries RateLimit-Policy exactly when the document says it can be rate limited).
 */
import type { PolicyName, RoutePolicyName } from "../http/rate-limit-policies";
import type { Operation } from "./operation";

/** Never limited: webhook senders retry in bursts, monitors poll, the dev S3 endpoint stands in for the store. */
const UNLIMITED = [/^\/api\/health$/, /^\/api\/webhooks\//, /^\/api\/dev-s3\//];

/** The per-user policy a path's writes count against. */
const ROUTE_POLICIES: [RegExp, RoutePolicyName][] = [
  [/^\/api\/chat$/, "chat"],
  [/^\/api\/uploads(\/|$)/, "uploads"],
  [/^\/api\/posts(\/|$)/, "post-writes"],
];

const WRITES = new Set(["post", "put", "patch", "delete"]);

/** The policies a request to `op` may count against, most specific first; empty when never limited. */
export function rateLimitPolicies(op: Pick<Operation, "method" | "path">): PolicyName[] {
  if (UNLIMITED.some((re) => re.test(op.path))) return [];
  const own = WRITES.has(op.method) ? ROUTE_POLICIES.find(([re]) => re.test(op.path))?.[1] : undefined;
  return [own ?? "authenticated", "anonymous"];
}
