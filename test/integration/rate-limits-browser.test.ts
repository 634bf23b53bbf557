/**
 * A 429 is readable cross-origin: a page on another (allowed) origin, in real Chromium, gets
 * the status, `Retry-After`, `RateLimit-Policy` and the problem body of a rate-limited request,
 * and its CORS preflight is never the request that gets refused.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBrowser } from "./browser";
import { bearer, token, useWorker } from "./harness";

let site: Server;
let siteOrigin = "";
beforeAll(async () => {
  // The web app's origin: a plain page on another port, so every API call is cross-origin.
  site = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>client app</title>"));
  await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => site.close(() => r())));

const w = useWorker({ vars: () => ({ RATE_LIMITS: "on", CORS_ALLOWED_ORIGINS: siteOrigin }) });
const browser = useBrowser();

describe("rate limits in a browser (Chromium)", () => {
  it("a page on an allowed origin reads the 429: status, Retry-After, RateLimit-Policy, problem body", async () => {
    // Fill this user's chat budget (10 a minute) from Node, in one window.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 250));
    const auth = await bearer("browser-user");
    for (let i = 0; i < 10; i++) {
      const res = await w.fetch("/api/chat", { method: "POST", headers: { "content-type": "application/json", ...auth }, body: '{"message":"hi"}' });
      expect(res.status).toBe(200);
      await res.body!.cancel();
    }

    const page = await browser.newPage();
    await page.goto(siteOrigin);
    const seen = await page.evaluate(
      async ({ api, jwt }) => {
        // Authorization + JSON: the browser sends a CORS preflight first.
        const res = await fetch(`${api}/api/chat`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` }, body: '{"message":"one more"}' });
        return {
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          policy: res.headers.get("ratelimit-policy"),
          requestId: res.headers.get("x-request-id"),
          body: (await res.json()) as { type: string; status: number; requestId: string },
        };
      },
      { api: w.url().origin, jwt: await token("browser-user") },
    );
    expect(seen.status).toBe(429);
    expect(seen.retryAfter).toBe("60");
    expect(seen.policy).toBe('"chat";q=10;w=60');
    expect(seen.body.type).toMatch(/rate-limited$/);
    expect(seen.body.status).toBe(429);
    expect(seen.body.requestId).toBe(seen.requestId);
    await page.close();
  }, 120_000);
});
