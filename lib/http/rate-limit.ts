/**
 * Per-client rate limits on Cloudflare's Workers Rate Limiting binding, as a route-wrapper
 * middleware: the factory resolves everything once per isolate, so a request pays a header
 * lookup or two and one `limit()` call.
 *
 * @example
 * ```ts
 * // once per isolate (lib/http/runtime.ts runtimeFor)
 * const limiter = rateLimit({ enabled: config.rateLimits, bindings: env, log });
 * // per request, after the method gate (never for OPTIONS)
 * const policy = await limiter.check({ request, method, route: "post-writes", user: () => c.user() });
 * // → '"post-writes";q=60;w=60' for the RateLimit-Policy header; over the limit it throws a 429
 * ```
 *
 * Rules it enforces:
 * - The key is the caller's `sub` when the request carries a token that verifies, else the
 *   client IP (`CF-Connecting-IP`). A token that fails verification counts against the IP, never
 *   against the `sub` it claims. Without a `CF-Connecting-IP` header (Cloudflare always sets it;
 *   so does wrangler's local server) every such request shares the one key "unknown". An IPv6
 *   client is counted per /64 (`ipKey`): one subscriber usually holds a whole /64, and stepping
 *   through its addresses must not buy a fresh budget each time.
 * - An authenticated state-changing request (POST, PUT, PATCH, DELETE) on a route that names a
 *   policy counts against that policy; any other authenticated request against `authenticated`;
 *   an anonymous one against `anonymous`. Exactly one binding call per request.
 * - Over the limit: 429 problem+json `rate-limited` with `Retry-After` (the policy's window: the
 *   binding reports no reset time, and a fixed window has surely rolled over by then) and
 *   `RateLimit-Policy`. Remaining counts are not reported: the binding does not know them.
 * - Disabled (`RATE_LIMITS=off`): nothing is counted and no `RateLimit-Policy` is sent.
 * - A binding that is missing or throws must not take the API down: the request goes through
 *   (fail open) and the isolate logs one warning line, once.
 */
import { HttpError } from "../core/problem";
import type { Logger } from "../core/log";
import { policyHeader, RATE_LIMIT_POLICIES, type PolicyName, type RateLimitPolicy, type RoutePolicyName } from "./rate-limit-policies";

export interface RateLimitOptions {
  /** False turns every check into a no-op (the `RATE_LIMITS=off` var). */
  enabled: boolean;
  /** Where the `[[ratelimits]]` bindings live: the Worker's `env`. */
  bindings: object;
  /** Receives the one fail-open warning per isolate. */
  log: Logger;
  /** Defaults to lib/http/rate-limit-policies.ts. */
  policies?: Record<PolicyName, RateLimitPolicy>;
}

export interface RateLimitRequest {
  request: Request;
  /** Upper-case method. */
  method: string;
  /** The policy the route names for its writes, if any. */
  route: RoutePolicyName | undefined;
  /** The caller (memoised by the route wrapper); a rejection means the token failed verification. */
  user(): Promise<{ id: string } | null>;
}

export interface RateLimiter {
  /**
   * Counts the request against its policy. Resolves to the `RateLimit-Policy` value to send
   * (null when disabled); throws a 429 HttpError when the caller is over the limit.
   */
  check(r: RateLimitRequest): Promise<string | null>;
}

interface ResolvedPolicy {
  name: PolicyName;
  binding: RateLimit | undefined;
  header: string;
  rejection: HttpError;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const DISABLED: RateLimiter = { check: () => Promise.resolve(null) };

/** Each policy with its binding (when bound), its header and its 429, made once. */
function resolvePolicies(policies: Record<PolicyName, RateLimitPolicy>, bindings: object): Record<PolicyName, ResolvedPolicy> {
  const resolved = {} as Record<PolicyName, ResolvedPolicy>;
  for (const name of Object.keys(policies) as PolicyName[]) {
    const policy = policies[name];
    const binding = (bindings as Record<string, unknown>)[policy.binding] as RateLimit | undefined;
    const header = policyHeader(name, policy);
    resolved[name] = {
      name,
      binding: typeof binding?.limit === "function" ? binding : undefined,
      header,
      // One instance per policy: an HttpError is an immutable description of the answer.
      rejection: new HttpError(429, {
        type: "rate-limited",
        detail: `Too many requests for the "${name}" limit (${policy.quota} per ${policy.window} s per ${policy.per === "ip" ? "client IP" : "user"}). Retry after ${policy.window} s.`,
        headers: { "retry-after": String(policy.window), "ratelimit-policy": header },
      }),
    };
  }
  return resolved;
}

export function rateLimit(options: RateLimitOptions): RateLimiter {
  if (!options.enabled) return DISABLED;
  const policies = options.policies ?? RATE_LIMIT_POLICIES;
  const resolved = resolvePolicies(policies, options.bindings);

  let warned = false;
  const failOpen = (p: ResolvedPolicy, err?: unknown) => {
    if (warned) return;
    warned = true;
    options.log.warn("rate limits not enforced: binding missing or failing (requests go through)", {
      policy: p.name,
      binding: policies[p.name].binding,
      ...(err !== undefined && { error: err instanceof Error ? err.message : String(err) }),
    });
  };

  return {
    async check({ request, method, route, user }) {
      let p: ResolvedPolicy;
      let key: string;
      // No Authorization header: anonymous, no token to verify (the cheap, common read).
      const caller = request.headers.has("authorization") ? await user().catch(() => null) : null;
      if (caller) {
        p = route !== undefined && WRITES.has(method) ? resolved[route] : resolved.authenticated;
        key = caller.id;
      } else {
        p = resolved.anonymous;
        key = ipKey(request.headers.get("cf-connecting-ip") ?? "unknown");
      }
      if (!p.binding) {
        failOpen(p);
        return p.header;
      }
      let success: boolean;
      try {
        ({ success } = await p.binding.limit({ key }));
      } catch (err) {
        failOpen(p, err);
        return p.header;
      }
      if (!success) throw p.rejection;
      return p.header;
    },
  };
}

/**
 * The anonymous rate-limit key for a client IP: an IPv4 address as is, an IPv6 address as its
 * /64 prefix (`2001:db8:0:1::/64`), whatever notation it came in (zero-compressed, leading zeros,
 * upper case). An IPv6 address that carries an IPv4 address in its last 32 bits on behalf of an
 * IPv4 client is keyed by that IPv4 address, so it shares the budget of the same client arriving
 * over IPv4 and never one /64 with every other such client: IPv4-mapped (`::ffff:0:0/96`),
 * IPv4-translated (`::ffff:0:0:0/96`) and NAT64 (`64:ff9b::/96`, and the local-use
 * `64:ff9b:1::/48` in its usual /96 layout). Anything that is not a well-formed address is used
 * as is: only Cloudflare sets this header in production, and an odd value must still be a key,
 * never an error.
 */
export function ipKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const g = ipv6Groups(ip);
  if (!g) return ip;
  if (embedsIpv4(g)) return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

/** `::ffff:0:0/96`, `::ffff:0:0:0/96`, `64:ff9b::/96`, `64:ff9b:1::/96`: the first six groups. */
const IPV4_CARRYING_PREFIXES: readonly (readonly number[])[] = [
  [0, 0, 0, 0, 0, 0xffff],
  [0, 0, 0, 0, 0xffff, 0],
  [0x64, 0xff9b, 0, 0, 0, 0],
  [0x64, 0xff9b, 1, 0, 0, 0],
];

const embedsIpv4 = (g: readonly number[]) => IPV4_CARRYING_PREFIXES.some((p) => p.every((x, i) => g[i] === x));

/** An IPv6 address in any notation (`::`, leading zeros, a dotted IPv4 tail) as 8 numbers, or null. */
function ipv6Groups(ip: string): number[] | null {
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const parts = (half: string) => (half === "" ? [] : half.split(":"));
  const head = parts(halves[0]!);
  const tail = halves.length === 2 ? parts(halves[1]!) : [];
  const groups: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ["::"] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const part = all[i]!;
    if (part === "::") groups.push(-1);
    else if (/^[0-9a-fA-F]{1,4}$/.test(part)) groups.push(parseInt(part, 16));
    else if (i === all.length - 1 && /^\d{1,3}(\.\d{1,3}){3}$/.test(part)) {
      const octets = part.split(".").map(Number);
      if (octets.some((o) => o > 255)) return null;
      groups.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    } else return null;
  }
  const gap = groups.indexOf(-1);
  if (gap < 0) return groups.length === 8 ? groups : null;
  if (groups.length > 8) return null; // "::" stands for at least one zero group
  groups.splice(gap, 1, ...Array<number>(9 - groups.length).fill(0));
  return groups;
}
