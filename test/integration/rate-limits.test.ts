/**
 * Rate limits on the built Worker, counted by the real Workers Rate Limiting binding (wrangler's
 * local implementation, configured from wrangler.toml's [[ratelimits]]): nothing here stands in
 * for it. Every test uses its own client IPs (CF-Connecting-IP, which the local server keeps
 * when a client sends it) and its own users, so no test sees another's counts.
 *
 * The local binding counts in fixed windows aligned to the clock (like Cloudflare's); a burst
 * that straddled a boundary would start counting again half-way, so each burst first waits,
 * when needed, for a window with enough time left.
 */
import { createHmac, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { countRows } from "../rows";
import { unstable_readConfig } from "wrangler";
import { RATE_LIMIT_POLICIES } from "../../lib/http/rate-limit-policies";
import { bearer, problem, token, useWorker, type Harness } from "./harness";

const GITHUB_SECRET = "rate-limit-test-github-secret";
const ORIGIN = "http://localhost:3000";

/** Waits for the next 60 s window when fewer than `seconds` are left in this one. */
async function roomInWindow(seconds: number) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((r) => setTimeout(r, left + 250));
}

/** Sends `n` requests, `concurrency` at a time; resolves to their statuses in order. */
async function burst(n: number, send: (i: number) => Promise<Response>, concurrency = 8): Promise<number[]> {
  const statuses: number[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const res = await send(i);
        statuses[i] = res.status;
        await res.body?.cancel();
      }
    }),
  );
  return statuses;
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});

async function expectRateLimited(res: Response, policy: string) {
  expect(res.status).toBe(429);
  const body = await problem(res);
  expect(body.type).toMatch(/rate-limited$/);
  expect(res.headers.get("retry-after")).toBe("60");
  expect(res.headers.get("ratelimit-policy")).toBe(policy);
  // Remaining counts are never invented: the binding does not report them.
  expect(res.headers.has("ratelimit")).toBe(false);
  expect(res.headers.has("ratelimit-remaining")).toBe(false);
}

/** Bursts plus, at worst, a wait for the next window. */
const BURST_TIMEOUT = 150_000;
const ip = (n: number) => ({ "cf-connecting-ip": `203.0.113.${n}` });
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

async function createPost(w: Harness, sub: string, title = "t") {
  const res = await w.fetch("/api/posts", json({ title, content: "c", published: true }, await bearer(sub)));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe("rate limits on (the default)", () => {
  const w = useWorker({ vars: { RATE_LIMITS: "on" }, secrets: { GITHUB_WEBHOOK_SECRET: GITHUB_SECRET } });

  it("wrangler.toml's [[ratelimits]] bindings enforce exactly what RateLimit-Policy advertises", () => {
    const config = unstable_readConfig({ config: "./wrangler.toml" }) as unknown as {
      ratelimits: { name: string; namespace_id: string; simple: { limit: number; period: number } }[];
      vars: Record<string, unknown>;
    };
    const bindings = new Map(config.ratelimits.map((r) => [r.name, r]));
    for (const policy of Object.values(RATE_LIMIT_POLICIES)) {
      expect(bindings.get(policy.binding)?.simple).toEqual({ limit: policy.quota, period: policy.window });
    }
    // One namespace per policy: two policies sharing a namespace would share counters.
    expect(new Set(config.ratelimits.map((r) => r.namespace_id)).size).toBe(config.ratelimits.length);
    expect(config.vars.RATE_LIMITS).toBe("on");
  });

  it(
    "anonymous: 600 per IP per minute; the 601st is a 429 with Retry-After, CORS-readable; another IP is unaffected",
    async () => {
      const id = await createPost(w, "author");
      await roomInWindow(25);
      const statuses = await burst(600, () => w.fetch(`/api/posts/${id}`, { headers: ip(1) }));
      expect(tally(statuses)).toEqual({ 200: 600 });

      const over = await w.fetch(`/api/posts/${id}`, { headers: { ...ip(1), origin: ORIGIN } });
      await expectRateLimited(over, '"anonymous";q=600;w=60');
      // A browser on an allowed origin can read the 429 and its headers.
      expect(over.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      const exposed = over.headers.get("access-control-expose-headers")!.toLowerCase();
      expect(exposed).toContain("retry-after");
      expect(exposed).toContain("ratelimit-policy");

      // The budget is per IP, not per route: every limited route refuses this IP now...
      await expectRateLimited(await w.fetch("/api/posts", { headers: ip(1) }), '"anonymous";q=600;w=60');
      await expectRateLimited(await w.fetch("/api/stats", { headers: ip(1) }), '"anonymous";q=600;w=60');
      // (the cached routes too, for a method they do not serve: a 405 counts there as everywhere)
      await expectRateLimited(await w.fetch("/api/stats", { method: "POST", headers: ip(1) }), '"anonymous";q=600;w=60');
      await expectRateLimited(await w.fetch("/api/no-such-route", { headers: ip(1) }), '"anonymous";q=600;w=60');
      await expectRateLimited(await w.fetch("/api/posts", { method: "PROPFIND", headers: ip(1) }), '"anonymous";q=600;w=60');
      // ...an anonymous write is refused before it is even authenticated or parsed...
      await expectRateLimited(await w.fetch("/api/posts", json({ title: "x", content: "y" }, ip(1))), '"anonymous";q=600;w=60');
      // ...but a preflight is never counted nor refused,
      const preflight = await w.fetch(`/api/posts/${id}`, {
        method: "OPTIONS",
        headers: { ...ip(1), origin: ORIGIN, "access-control-request-method": "GET" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      // and another IP in the same window is served as usual.
      const other = await w.fetch(`/api/posts/${id}`, { headers: ip(2) });
      expect(other.status).toBe(200);
      expect(other.headers.get("ratelimit-policy")).toBe('"anonymous";q=600;w=60');
      // An authenticated caller from the limited IP counts against their own (per-user) budget.
      const signedIn = await w.fetch(`/api/posts/${id}`, { headers: { ...ip(1), ...(await bearer("reader")) } });
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers.get("ratelimit-policy")).toBe('"authenticated";q=600;w=60');
    },
    BURST_TIMEOUT,
  );

  it(
    "a token that fails verification counts against the IP, never against the sub it claims",
    async () => {
      const id = await createPost(w, "author");
      const forged = { authorization: `Bearer ${await token("mallory", { secret: "not-the-worker-secret-0123456789abcdef" })}` };
      // IPv6 clients count per /64: these two addresses are one client, the third another.
      const v6a = { "cf-connecting-ip": "2001:db8:0:3::1" };
      const v6b = { "cf-connecting-ip": "2001:DB8:0:3:ffff:ffff:ffff:ffff" };
      const v6other = { "cf-connecting-ip": "2001:db8:0:4::1" };
      await roomInWindow(25);
      const statuses = await burst(600, () => w.fetch(`/api/posts/${id}`, { headers: { ...v6a, ...forged } }));
      expect(tally(statuses)).toEqual({ 401: 600 });
      await expectRateLimited(await w.fetch(`/api/posts/${id}`, { headers: { ...v6a, ...forged } }), '"anonymous";q=600;w=60');
      await expectRateLimited(await w.fetch(`/api/posts/${id}`, { headers: v6b }), '"anonymous";q=600;w=60');
      expect((await w.fetch(`/api/posts/${id}`, { headers: v6other })).status).toBe(200);
      // The real mallory, from that very IP, still has her whole budget.
      const real = await w.fetch(`/api/posts/${id}`, { headers: { ...v6a, ...(await bearer("mallory")) } });
      expect(real.status).toBe(200);
      expect(real.headers.get("ratelimit-policy")).toBe('"authenticated";q=600;w=60');
    },
    BURST_TIMEOUT,
  );

  it(
    "post writes: 60 per user per minute, nothing written past it; another user is unaffected",
    async () => {
      const writer = await bearer("writer");
      await roomInWindow(20);
      const id = await createPost(w, "writer", "first");
      const statuses = await burst(59, (i) => w.fetch("/api/posts", json({ title: `p${i}`, content: "c" }, { ...writer, ...ip(4) })));
      expect(tally(statuses)).toEqual({ 201: 59 });
      expect(await countRows(w, "posts")).toBe(60);

      const policy = '"post-writes";q=60;w=60';
      await expectRateLimited(await w.fetch("/api/posts", json({ title: "one too many", content: "c" }, writer)), policy);
      await expectRateLimited(await w.fetch(`/api/posts/${id}`, { ...json({ title: "changed" }, writer), method: "PATCH" }), policy);
      await expectRateLimited(
        await w.fetch(`/api/posts/${id}`, { ...json({ title: "changed", content: "c", published: true }, writer), method: "PUT" }),
        policy,
      );
      await expectRateLimited(await w.fetch(`/api/posts/${id}`, { method: "DELETE", headers: writer }), policy);
      // Nothing was written: no new post, the first one unchanged and still there.
      expect(await countRows(w, "posts")).toBe(60);
      const row = await (await w.env()).DB.prepare("SELECT title FROM posts WHERE id = ?").bind(id).first<{ title: string }>();
      expect(row?.title).toBe("first");

      // A method the route lacks is a 405 counted against the writer's general budget, not this one.
      const notAllowed = await w.fetch(`/api/posts/${id}`, { method: "POST", headers: writer });
      expect(notAllowed.status).toBe(405);
      expect(notAllowed.headers.get("ratelimit-policy")).toBe('"authenticated";q=600;w=60');
      // The writer can still read (another policy), and another user can still write.
      const read = await w.fetch(`/api/posts/${id}`, { headers: writer });
      expect(read.status).toBe(200);
      expect(read.headers.get("ratelimit-policy")).toBe('"authenticated";q=600;w=60');
      const other = await w.fetch("/api/posts", json({ title: "mine", content: "c" }, await bearer("someone-else")));
      expect(other.status).toBe(201);
      expect(other.headers.get("ratelimit-policy")).toBe(policy);
      expect(await countRows(w, "posts")).toBe(61);
    },
    BURST_TIMEOUT,
  );

  it(
    "chat: 10 streams per user per minute; the 11th is a 429 before any stream starts",
    async () => {
      const chatty = await bearer("chatty");
      await roomInWindow(15);
      for (let i = 0; i < 10; i++) {
        const res = await w.fetch("/api/chat", json({ message: `hi ${i}` }, chatty));
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
        expect(res.headers.get("ratelimit-policy")).toBe('"chat";q=10;w=60');
        await res.body!.cancel();
      }
      const over = await w.fetch("/api/chat", json({ message: "one more" }, chatty));
      await expectRateLimited(over, '"chat";q=10;w=60');
      const other = await w.fetch("/api/chat", json({ message: "hello" }, await bearer("quiet")));
      expect(other.status).toBe(200);
      expect(other.headers.get("content-type")).toMatch(/^text\/event-stream/);
      await other.body!.cancel();
    },
    BURST_TIMEOUT,
  );

  it(
    "upload signing: 60 POST /api/uploads* per user per minute, no URL signed past it; another user is unaffected",
    async () => {
      const uploader = await bearer("uploader");
      const declare = (sub: Record<string, string>, i: number) =>
        w.fetch("/api/uploads", json({ filename: `f${i}.png`, contentType: "image/png", size: 10 }, sub));
      await roomInWindow(20);
      const statuses = await burst(59, (i) => declare(uploader, i));
      expect(tally(statuses)).toEqual({ 201: 59 });
      // complete counts against the same policy (every POST under /api/uploads).
      const completed = await w.fetch(
        "/api/uploads/complete",
        json({ key: "uploads/uploader/0123456789abcdef0123456789abcdef/none.png" }, uploader),
      );
      expect(completed.status).toBe(404);
      expect(completed.headers.get("ratelimit-policy")).toBe('"uploads";q=60;w=60');
      expect(await countRows(w, "uploads")).toBe(59);

      const over = await declare(uploader, 99);
      await expectRateLimited(over, '"uploads";q=60;w=60');
      await expectRateLimited(
        await w.fetch("/api/uploads/complete", json({ key: "uploads/uploader/x/y.png" }, uploader)),
        '"uploads";q=60;w=60',
      );
      expect(await countRows(w, "uploads")).toBe(59);

      const other = await declare(await bearer("other-uploader"), 0);
      expect(other.status).toBe(201);
      expect(await countRows(w, "uploads")).toBe(60);
    },
    BURST_TIMEOUT,
  );

  it("a cached route's 405 is counted and says so, like every other route's", async () => {
    const res = await w.fetch("/api/stats", { method: "DELETE", headers: ip(77) });
    expect(res.status).toBe(405);
    expect(res.headers.get("ratelimit-policy")).toBe('"anonymous";q=600;w=60');
    await problem(res);
  });

  it(
    "the OpenAPI document lists a 429 exactly on the operations whose responses carry RateLimit-Policy",
    async () => {
      const doc = (await (await w.fetch("/api/openapi.json")).json()) as {
        paths: Record<
          string,
          Record<string, { responses: Record<string, { headers?: Record<string, unknown>; "x-rate-limit-policies"?: string[] }> }>
        >;
      };
      let checked = 0;
      for (const [template, ops] of Object.entries(doc.paths)) {
        const path = template
          .replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
          .replace("{key}", "uploads/someone/0123/file.png")
          .replace("{path}", "routeflare-uploads/k");
        for (const [method, op] of Object.entries(ops)) {
          const documented = op.responses["429"];
          const n = 10 + checked++;
          const anon = await w.fetch(path, {
            method: method.toUpperCase(),
            headers: { ...ip(n), "content-type": "application/json" },
            ...(method !== "get" && { body: "{}" }),
          });
          await anon.body?.cancel();
          expect([method, path, anon.headers.has("ratelimit-policy")]).toEqual([method, path, documented !== undefined]);
          if (!documented) continue;
          expect(Object.keys(documented.headers ?? {}).sort()).toEqual(["RateLimit-Policy", "Retry-After"]);
          const signedIn = await w.fetch(path, {
            method: method.toUpperCase(),
            headers: { ...(await bearer(`docs-${n}`)), "content-type": "application/json" },
            ...(method !== "get" && { body: "{}" }),
          });
          await signedIn.body?.cancel();
          const name = /^"([^"]+)"/.exec(signedIn.headers.get("ratelimit-policy") ?? "")?.[1];
          expect([method, path, documented["x-rate-limit-policies"]?.includes(name!)]).toEqual([method, path, true]);
        }
      }
      expect(checked).toBeGreaterThan(15);
    },
    BURST_TIMEOUT,
  );

  it(
    "webhooks and GET /api/health are never limited, and never count against the IP",
    async () => {
      await roomInWindow(30);
      const health = await burst(610, () => w.fetch("/api/health", { headers: ip(5) }));
      expect(tally(health)).toEqual({ 200: 610 });
      const deliveries = await burst(610, (i) => {
        const body = JSON.stringify({ zen: `delivery ${i}` });
        return w.fetch("/api/webhooks/github", {
          method: "POST",
          headers: {
            ...ip(5),
            "content-type": "application/json",
            "x-github-delivery": randomUUID(),
            "x-github-event": "ping",
            "x-hub-signature-256": `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`,
          },
          body,
        });
      });
      expect(tally(deliveries)).toEqual({ 200: 610 });
      expect(await countRows(w, "webhook_events")).toBe(610);

      const h = await w.fetch("/api/health", { headers: ip(5) });
      expect(h.headers.has("ratelimit-policy")).toBe(false);
      // None of the 1220 requests used this IP's anonymous budget.
      const read = await w.fetch("/api/posts", { headers: ip(5) });
      expect(read.status).toBe(200);
    },
    BURST_TIMEOUT,
  );
});

describe("RATE_LIMITS=off", () => {
  const w = useWorker({ vars: { RATE_LIMITS: "off" } });

  it(
    "lets every burst through and advertises no policy",
    async () => {
      const sub = await bearer("load-tester");
      const chats = await burst(12, (i) => w.fetch("/api/chat", json({ message: `hi ${i}` }, sub)), 4);
      expect(tally(chats)).toEqual({ 200: 12 });
      const writes = await burst(65, (i) => w.fetch("/api/posts", json({ title: `p${i}`, content: "c", published: true }, sub)));
      expect(tally(writes)).toEqual({ 201: 65 });
      expect(await countRows(w, "posts")).toBe(65);
      const reads = await burst(610, () => w.fetch("/api/posts", { headers: ip(6) }));
      expect(tally(reads)).toEqual({ 200: 610 });
      const res = await w.fetch("/api/posts", { headers: ip(6) });
      expect(res.headers.has("ratelimit-policy")).toBe(false);
    },
    BURST_TIMEOUT,
  );
});
