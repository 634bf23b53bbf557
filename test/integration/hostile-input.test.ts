/**
 * Hostile input on the built Worker: any JSON key, any Authorization header, an empty If-Match,
 * storage errors that are not outages, a compare-and-set that keeps losing, a large body sent to
 * a path that is not an API route. Every answer is a 4xx problem (or a normal answer), never a
 * 5xx, and nothing is written.
 */
import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearer, problem, useWorker } from "./harness";

const w = useWorker();

const PROTO_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "prototype"];
/** Any JSON object key: the names Object.prototype uses, and arbitrary strings. */
const anyKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ minLength: 1, maxLength: 40 }));

const count = async (table: string) => (await (await w.env()).DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
const sql = async (query: string) => (await w.env()).DB.prepare(query).run();

/** A JSON text of `base` with an extra own key `key` (JSON.stringify would drop `__proto__` set by assignment). */
const withKey = (base: Record<string, unknown>, key: string, value: unknown = 1) =>
  JSON.stringify(base).slice(0, -1) + `,${JSON.stringify(key)}:${JSON.stringify(value)}}`;

async function createPost(sub = "alice") {
  const res = await w.fetch("/api/posts", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(sub)) },
    body: JSON.stringify({ title: "Original", content: "Body", published: true }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; title: string };
}

describe("any JSON key is just a key", () => {
  const routes: { name: string; method: string; path: () => Promise<string>; body: Record<string, unknown>; table: string }[] = [
    { name: "POST /api/posts", method: "POST", path: async () => "/api/posts", body: { title: "x", content: "y" }, table: "posts" },
    {
      name: "POST /api/uploads",
      method: "POST",
      path: async () => "/api/uploads",
      body: { filename: "a.png", contentType: "image/png", size: 3 },
      table: "uploads",
    },
    {
      name: "POST /api/uploads/complete",
      method: "POST",
      path: async () => "/api/uploads/complete",
      body: { key: "uploads/alice/x/a.png" },
      table: "uploads",
    },
    { name: "POST /api/chat", method: "POST", path: async () => "/api/chat", body: { message: "hi" }, table: "posts" },
  ];

  for (const route of routes) {
    it(`${route.name}: an extra key of any name → 400 naming it, nothing written`, async () => {
      const auth = await bearer("alice");
      const path = await route.path();
      await fc.assert(
        fc.asyncProperty(anyKey, async (key) => {
          // A key the schema knows is not "extra": skip it.
          fc.pre(!Object.hasOwn(route.body, key));
          const res = await w.fetch(path, {
            method: route.method,
            headers: { "content-type": "application/json", ...auth },
            body: withKey(route.body, key),
          });
          expect(res.status).toBe(400);
          const p = await problem(res);
          expect(Object.keys(p.errors ?? {})).toContain(key);
          expect(p.errors![key]).toEqual(["Unknown field."]);
        }),
        { numRuns: 30, seed: 11 },
      );
      expect(await count(route.table)).toBe(0);
    });
  }

  it("PUT and PATCH /api/posts/<id>: a prototype-named key → 400, the post unchanged", async () => {
    const post = await createPost();
    const auth = await bearer("alice");
    for (const method of ["PUT", "PATCH"]) {
      for (const key of PROTO_KEYS) {
        const res = await w.fetch(`/api/posts/${post.id}`, {
          method,
          headers: { "content-type": "application/json", ...auth },
          body: withKey({ title: "Changed", content: "Changed", published: false }, key, { polluted: true }),
        });
        expect(res.status).toBe(400);
        expect((await problem(res)).errors).toHaveProperty([key]);
      }
    }
    const row = await (await w.env()).DB.prepare("SELECT title, version FROM posts WHERE id = ?").bind(post.id).first();
    expect(row).toEqual({ title: "Original", version: 1 });
  });

  it("a nested prototype-named key is named by its path", async () => {
    const res = await w.fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"messages":[{"role":"user","content":"hi","constructor":1}]}',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty(["messages.0.constructor"]);
  });

  it("query parameters of any name are ignored when unknown, and never break a 400 naming a bad one", async () => {
    for (const key of PROTO_KEYS) {
      expect((await w.fetch(`/api/posts?${encodeURIComponent(key)}=1`)).status).toBe(200);
      const res = await w.fetch(`/api/posts?${encodeURIComponent(key)}=1&limit=0`);
      expect(res.status).toBe(400);
      expect(Object.keys((await problem(res)).errors ?? {})).toEqual(["limit"]);
    }
  });
});

describe("any Authorization header", () => {
  const id = "01JD0000000000000000000000";

  it("Bearer + long runs of spaces between two words → 401 invalid_token, parsed in one pass", async () => {
    for (const n of [8_000, 32_000]) {
      const header = `Bearer${" ".repeat(n)}x${" ".repeat(n)}y`;
      const res = await w.fetch(`/api/posts/${id}`, { headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      await problem(res);
    }
  });

  it("any header value → 401 or an ordinary answer (404 here), never 5xx", async () => {
    // Visible ASCII and spaces: what fetch lets a client put in a header value.
    const headerChar = fc.constantFrom(
      ..." \tBbEeAaRr.-_~+/=xyz0123".split(""),
      ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
    );
    const headerValue = fc.oneof(
      fc.string({ unit: headerChar, maxLength: 300 }),
      fc
        .tuple(fc.constantFrom("Bearer", "bearer", "BEARER", "Bearerx", "Basic"), fc.string({ unit: headerChar, maxLength: 300 }))
        .map(([s, rest]) => s + rest),
    );
    await fc.assert(
      fc.asyncProperty(headerValue, async (value) => {
        const res = await w.fetch(`/api/posts/${id}`, { headers: { authorization: value } });
        expect([401, 404]).toContain(res.status);
        await problem(res);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});

/** A raw request, to send exactly the headers given (an empty If-Match, a chunked body). */
function raw(opts: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  chunkSize?: number;
}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = w.url();
    const req = httpRequest({ host: url.hostname, port: url.port, path: opts.path, method: opts.method, headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    if (opts.body && opts.chunkSize) {
      for (let i = 0; i < opts.body.length; i += opts.chunkSize) req.write(opts.body.subarray(i, i + opts.chunkSize));
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

describe("errors that are not outages", () => {
  it("a D1 constraint error is a 500 (no Retry-After, nothing kept), not 'storage unavailable'", async () => {
    // A trigger that refuses every insert: D1 reports it as a constraint failure.
    await sql("CREATE TRIGGER refuse_posts BEFORE INSERT ON posts BEGIN SELECT RAISE(ABORT, 'posts are frozen'); END");
    const res = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: JSON.stringify({ title: "x", content: "y" }),
    });
    expect(res.status).toBe(500);
    expect(res.headers.get("retry-after")).toBeNull();
    const p = await problem(res);
    expect(p.type).toBe("/problems/internal");
    expect(JSON.stringify(p)).not.toMatch(/frozen|SQL|trigger/i);
    expect(await count("posts")).toBe(0);
  });

  it("a missing table (schema drift) is a 500 too", async () => {
    await sql("DROP TABLE idempotency_keys");
    const res = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "k", ...(await bearer("alice")) },
      body: JSON.stringify({ title: "x", content: "y" }),
    });
    expect(res.status).toBe(500);
    await problem(res);
    expect(await count("posts")).toBe(0);
  });
});

describe("a compare-and-set that keeps losing", () => {
  it("an unconditional update retries a bounded number of times, then 409 with nothing written", async () => {
    const post = await createPost();
    // Every UPDATE of posts silently changes nothing: to updatePost, a concurrent writer always wins.
    await sql("CREATE TRIGGER always_lose BEFORE UPDATE ON posts BEGIN SELECT RAISE(IGNORE); END");
    const res = await w.fetch(`/api/posts/${post.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: JSON.stringify({ title: "Mine" }),
    });
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect((await problem(res)).type).toBe("/problems/write-conflict");
    const row = await (await w.env()).DB.prepare("SELECT title, version FROM posts WHERE id = ?").bind(post.id).first();
    expect(row).toEqual({ title: "Original", version: 1 });
  });
});

describe("an answer given without reading a large chunked body", () => {
  // ~250 KB in small chunks without Content-Length, to routes that answer from the method, path or
  // headers alone (405, 404, 401). Without draining, the local server dropped the connection
  // ("Network connection lost", a 500) for most such requests.
  const body = Buffer.alloc(250 * 1024, "a");
  const cases = [
    { method: "PATCH", path: "/api/health", status: 405 },
    { method: "PATCH", path: "/api/no/such/route", status: 404 },
    { method: "PATCH", path: "/api/../api/health", status: 405 },
    { method: "PATCH", path: "/api/posts/01JD0000000000000000000000", status: 401 },
  ];
  for (const { method, path, status } of cases) {
    it(`${method} ${path} → ${status} problem, every time`, async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          raw({
            method,
            path,
            headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
            body,
            chunkSize: i % 2 ? 512 : 1024,
          }),
        ),
      );
      for (const res of results) {
        expect(res.status).toBe(status);
        expect((JSON.parse(res.body) as { requestId: string }).requestId).toBe(res.headers["x-request-id"]);
      }
    });
  }
});
