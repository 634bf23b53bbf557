/**
 * The limiter's fail-open rule: a binding that is missing (misconfigured deploy) or throws lets
 * requests through and logs one warning line per isolate, not one per request. Counting itself
 * is tested on the built Worker with the real binding (test/integration/rate-limits.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Logger, LogFields } from "@/lib/core/log";
import { ipKey, rateLimit } from "@/lib/http/rate-limit";

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

const anonymous = () => ({
  request: new Request("https://api.example.com/api/posts", { headers: { "cf-connecting-ip": "198.51.100.7" } }),
  method: "GET",
  route: undefined,
  user: async () => null,
});

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
    expect(
      await limiter.check({
        ...anonymous(),
        request: new Request("https://api.example.com/api/posts", { headers: { authorization: "Bearer x" } }),
        user: async () => ({ id: "u1" }),
      }),
    ).toBe('"authenticated";q=600;w=60');
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

describe("ipKey: the anonymous key for a client IP", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:0:1:2:3:4:5", "2001:db8:0:1::/64"],
    ["2001:0DB8:0000:0001:ffff:0:0:1", "2001:db8:0:1::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:0:1::", "2001:db8:0:1::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    // An IPv4 client behind an IPv6 notation is keyed by its IPv4 address.
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:C000:0201", "192.0.2.1"],
    ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:0:198.51.100.9", "198.51.100.9"],
    ["64:ff9b::203.0.113.7", "203.0.113.7"],
    ["64:ff9b::cb00:7107", "203.0.113.7"],
    ["64:ff9b:1::203.0.113.7", "203.0.113.7"],
    // Other IPv6 addresses with a dotted tail are ordinary IPv6 addresses.
    ["::192.0.2.1", "0:0:0:0::/64"],
    ["64:ff9b:1:2:3:4:192.0.2.1", "64:ff9b:1:2::/64"],
    // Not an address: used as is, never an error.
    ["unknown", "unknown"],
    ["1::2::3", "1::2::3"],
    ["1:2:3", "1:2:3"],
    ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"],
    ["12345::", "12345::"],
    ["g::1", "g::1"],
    [":::", ":::"],
    ["1.2.3.4::1", "1.2.3.4::1"],
    ["::ffff:256.0.0.1", "::ffff:256.0.0.1"],
    ["::ffff:1.2.3", "::ffff:1.2.3"],
    ["1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7::8"],
  ])("%s → %s", (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });

  /** Every notation of an address a client or proxy may use. */
  const notations = (g: number[]) => {
    const hex = g.map((x) => x.toString(16));
    const out = [hex.join(":"), g.map((x) => x.toString(16).padStart(4, "0")).join(":"), hex.join(":").toUpperCase()];
    // Zero-compress the longest run of zero groups, as RFC 5952 does.
    let best = [-1, 0];
    for (let i = 0; i < 8;) {
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > best[1]!) best = [i, j - i];
      i = j === i ? i + 1 : j;
    }
    if (best[1]! >= 1) out.push(`${hex.slice(0, best[0]).join(":")}::${hex.slice(best[0]! + best[1]!).join(":")}`);
    return out;
  };

  // Zero groups are what compression works on: make them likely.
  const group = fc.oneof(fc.constant(0), fc.nat(65535));
  const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n });

  it("every notation of an address gives one key; the same /64 shares it, another /64 never does", () => {
    fc.assert(
      fc.property(groups(8), groups(4), fc.nat(3), fc.integer({ min: 1, max: 65535 }), (g, otherTail, at, delta) => {
        const sameNet = [...g.slice(0, 4), ...otherTail];
        const otherNet = [...g];
        otherNet[at] = (otherNet[at]! + delta) % 65536;
        // An address that carries an IPv4 client's address is keyed by that (tested below).
        const carriesIpv4 = (a: number[]) => /^[0-9.]+$/.test(ipKey(notations(a)[0]!));
        fc.pre(![g, sameNet, otherNet].some(carriesIpv4));
        const keys = new Set(notations(g).map(ipKey));
        expect(keys.size).toBe(1);
        const key = [...keys][0]!;
        expect(key).toMatch(/^([0-9a-f]{1,4}:){4}:\/64$/);
        expect(ipKey(notations(sameNet)[0]!)).toBe(key);
        expect(ipKey(notations(otherNet)[0]!)).not.toBe(key);
      }),
      { seed: 64, numRuns: 1000 },
    );
  });

  it("an IPv4 address gets one key in every IPv6 form that carries it, and two addresses never share one", () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    const hex = ([a, b, c, d]: number[]) => `${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
    fc.assert(
      fc.property(ipv4, ipv4, fc.boolean(), (octets, other, upper) => {
        const dotted = octets.join(".");
        const forms = [
          `::ffff:${dotted}`,
          `::ffff:${hex(octets)}`,
          `0:0:0:0:0:ffff:${hex(octets)}`,
          `0000:0000:0000:0000:0000:FFFF:${dotted}`,
          `::ffff:0:${dotted}`,
          `64:ff9b::${dotted}`,
          `64:ff9b::${hex(octets)}`,
          `64:ff9b:0:0:0:0:${hex(octets)}`,
          `64:ff9b:1::${dotted}`,
        ].map((f) => (upper ? f.toUpperCase() : f));
        for (const form of forms) expect(ipKey(form)).toBe(dotted);
        if (other.join(".") !== dotted) expect(ipKey(`::ffff:${other.join(".")}`)).not.toBe(ipKey(`::ffff:${dotted}`));
      }),
      { seed: 20261207, numRuns: 2000 },
    );
  });
});
