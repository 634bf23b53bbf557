/**
 * The limiter's fail-open rule: a binding that is missing (misconfigured deploy) or throws lets
 * requests through and logs one warning line per isolate, not one per request. Counting itself
 * is tested on the built Worker with the real binding (test/integration/rate-limits.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { Logger, LogFields } from "@/lib/http/log";
import { rateLimit } from "@/lib/http/rate-limit";

function capture() {
  const warnings: { msg: string; fields?: LogFields }[] = [];
  const log: Logger = {
    error: () => {},
    warn: (msg, fields) => warnings.push({ msg, fields }),
    info: () => {},
    debug: () => {},
    with: () => log,
  };
  return { log, warnings };
}

const anonymous = () => ({ request: new Request("https://api.example.com/api/posts", { headers: { "cf-connecting-ip": "198.51.100.7" } }), method: "GET", route: undefined, user: async () => null });

describe("rateLimit fails open", () => {
  it("missing bindings: every request goes through, one warning for the isolate", async () => {
    const { log, warnings } = capture();
    const limiter = rateLimit({ enabled: true, bindings: {}, log });
    for (let i = 0; i < 5; i++) expect(await limiter.check(anonymous())).toBe('"anonymous";q=600;w=60');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ policy: "anonymous", binding: "RATE_LIMIT_ANONYMOUS" });
  });

  it("a binding that throws: every request goes through, one warning naming the error", async () => {
    const { log, warnings } = capture();
    const failing = { limit: () => Promise.reject(new Error("rate limiter unavailable")) };
    const limiter = rateLimit({ enabled: true, bindings: { RATE_LIMIT_ANONYMOUS: failing, RATE_LIMIT_AUTHENTICATED: failing }, log });
    for (let i = 0; i < 5; i++) expect(await limiter.check(anonymous())).toBe('"anonymous";q=600;w=60');
    expect(await limiter.check({ ...anonymous(), request: new Request("https://api.example.com/api/posts", { headers: { authorization: "Bearer x" } }), user: async () => ({ id: "u1" }) })).toBe('"authenticated";q=600;w=60');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ error: "rate limiter unavailable" });
  });

  it("disabled: nothing is counted, no policy advertised, nothing logged", async () => {
    const { log, warnings } = capture();
    let calls = 0;
    const counting = { limit: async () => (calls++, { success: false }) };
    const limiter = rateLimit({ enabled: false, bindings: { RATE_LIMIT_ANONYMOUS: counting }, log });
    expect(await limiter.check(anonymous())).toBeNull();
    expect(calls).toBe(0);
    expect(warnings).toHaveLength(0);
  });
});
