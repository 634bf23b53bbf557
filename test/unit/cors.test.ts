import { describe, expect, it } from "vitest";
import { cors } from "@/lib/http/cors";

const policy = cors({ origins: ["https://app.example.com", "http://localhost:3000"] });
const req = (origin?: string) => new Request("https://api.example.com/api/x", { headers: origin ? { origin } : {} });

describe("cors", () => {
  it("echoes an allowed origin with Vary and exposed headers", () => {
    const h = new Headers();
    policy.decorate(req("https://app.example.com"), h);
    expect(h.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(h.get("vary")).toBe("Origin");
    for (const name of ["ETag", "Location", "x-request-id", "x-d1-bookmark", "Retry-After", "RateLimit-Policy"]) {
      expect(h.get("access-control-expose-headers")).toContain(name);
    }
    expect(h.has("access-control-allow-credentials")).toBe(false);
  });

  it("gives a disallowed, look-alike or missing origin no Allow-* header", () => {
    for (const origin of ["https://evil.example.com", "https://app.example.com.evil.com", "null", "HTTPS://APP.EXAMPLE.COM", undefined]) {
      const h = new Headers();
      policy.decorate(req(origin), h);
      expect([...h.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
      expect(h.get("vary")).toBe("Origin");
    }
  });

  it("answers a preflight with 204 and the route's methods", () => {
    const res = policy.preflight(req("http://localhost:3000"), ["GET", "POST", "OPTIONS"]);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
    const allowHeaders = res.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const name of ["content-type", "authorization", "idempotency-key", "if-match", "if-none-match", "x-request-id", "x-d1-bookmark"]) {
      expect(allowHeaders).toContain(name);
    }
  });

  it("answers a preflight from another origin with 204 and no Allow-* header", () => {
    const res = policy.preflight(req("https://evil.example.com"), ["GET"]);
    expect(res.status).toBe(204);
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });

  it("keeps an existing Vary value", () => {
    const h = new Headers({ vary: "Accept-Encoding" });
    policy.decorate(req("http://localhost:3000"), h);
    expect(h.get("vary")).toBe("Accept-Encoding, Origin");
  });
});
