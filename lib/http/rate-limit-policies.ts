/**
 * The rate-limit policies: which Workers Rate Limiting binding counts each one, and the quota
 * and window it enforces. The binding's own `simple.limit` / `simple.period` in wrangler.toml
 * are what Cloudflare enforces; the figures here are what responses advertise in
 * `RateLimit-Policy`, so the two must agree (test/integration/rate-limits.test.ts checks it).
 *
 * An endpoint names one of the per-user policies in its declaration (`rateLimit`); its state-changing
 * methods (POST, PUT, PATCH, DELETE) by an authenticated caller count against that policy.
 * Every other limited request counts against `authenticated` (per user) or `anonymous` (per
 * client IP: no token, or a token that fails verification).
 */

export interface RateLimitPolicy {
  /** The `[[ratelimits]]` binding name in wrangler.toml. */
  binding: keyof CloudflareEnv & `RATE_LIMIT_${string}`;
  /** Requests allowed per window (the binding's `simple.limit`). */
  quota: number;
  /** Window in seconds (the binding's `simple.period`: Cloudflare accepts only 10 or 60). */
  window: 10 | 60;
  /** What the key is. */
  per: "user" | "ip";
}

export const RATE_LIMIT_POLICIES = {
  chat: { binding: "RATE_LIMIT_CHAT", quota: 10, window: 60, per: "user" },
  uploads: { binding: "RATE_LIMIT_UPLOADS", quota: 60, window: 60, per: "user" },
  "post-writes": { binding: "RATE_LIMIT_POST_WRITES", quota: 60, window: 60, per: "user" },
  authenticated: { binding: "RATE_LIMIT_AUTHENTICATED", quota: 600, window: 60, per: "user" },
  anonymous: { binding: "RATE_LIMIT_ANONYMOUS", quota: 600, window: 60, per: "ip" },
} as const satisfies Record<string, RateLimitPolicy>;

export type PolicyName = keyof typeof RATE_LIMIT_POLICIES;

/** The policies a route can name for its writes (the other two apply to every limited route). */
export type RoutePolicyName = Exclude<PolicyName, "authenticated" | "anonymous">;

/** The IETF draft `RateLimit-Policy` item for a policy: `"chat";q=10;w=60`. */
export function policyHeader(name: PolicyName, policy: RateLimitPolicy = RATE_LIMIT_POLICIES[name]): string {
  return `"${name}";q=${policy.quota};w=${policy.window}`;
}
