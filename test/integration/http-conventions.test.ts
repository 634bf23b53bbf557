/** The rules every /api response follows (request id, problem+json, methods, body limits, CORS), on the built Worker. */
import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { countRows } from "../rows";
import { bearer, problem, useWorker } from "./harness";

const MAX = 1024;
const w = useWorker({ vars: { MAX_JSON_BYTES: String(MAX), CORS_ALLOWED_ORIGINS: "https://app.example.com,http://localhost:3000" } });

const count = () => countRows(w, "posts");

/** A JSON body of exactly `bytes` bytes that is a valid post. */
function bodyOfSize(bytes: number): string {
  const base = JSON.stringify({ title: "t", content: "c" });
  return base.slice(0, -1) + " ".repeat(bytes - base.length) + "}";
}

/** Sends a raw HTTP/1.1 request (to control Content-Length and chunking exactly). */
function raw(path: string, head: Record<string, string>, chunks: string[], chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = w.url();
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: "POST", headers: head }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    if (chunked) req.setHeader("transfer-encoding", "chunked");
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("request id", () => {
  it("echoes a well-formed x-request-id and repeats it in problem bodies", async () => {
    const id = "client-123.abc:XYZ_-";
    const res = await w.fetch("/api/nope", { headers: { "x-request-id": id } });
    expect(res.headers.get("x-request-id")).toBe(id);
    expect((await problem(res)).requestId).toBe(id);
  });

  it.each(["a b", "<script>", "x".repeat(129), "", "é"])("replaces a malformed one (%j)", async (id) => {
    const res = await w.fetch("/api/health", { headers: { "x-request-id": id } });
    const got = res.headers.get("x-request-id")!;
    expect(got).not.toBe(id);
    expect(got).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });

  it("is on every kind of response: 200, 204, 304, 404, 405", async () => {
    const created = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":"a","content":"b","published":true}',
    });
    const post = (await created.json()) as { id: string };
    const etag = created.headers.get("etag")!;
    const responses = [
      await w.fetch("/api/health"),
      await w.fetch(`/api/posts/${post.id}`, { method: "DELETE", headers: await bearer("alice") }),
      await w.fetch("/api/posts", {
        method: "OPTIONS",
        headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
      }),
      await w.fetch("/api/nope"),
      await w.fetch("/api/health", { method: "PUT" }),
    ];
    await w
      .fetch("/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json", ...(await bearer("alice")) },
        body: '{"title":"a","content":"b","published":true}',
      })
      .then(async (r) => {
        const p = (await r.json()) as { id: string };
        responses.push(await w.fetch(`/api/posts/${p.id}`, { headers: { "if-none-match": r.headers.get("etag")! } }));
      });
    expect(etag).toBeTruthy();
    expect(responses.map((r) => r.status)).toEqual([200, 204, 204, 404, 405, 304]);
    for (const r of responses) {
      expect(r.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("unknown paths and methods", () => {
  it.each(["/api/nope", "/api", "/api/", "/api/posts/a/b/c", "/api/health/extra", "/api/%E2%80%AE"])(
    "404 problem+json for %s",
    async (path) => {
      const res = await w.fetch(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await problem(res);
    },
  );

  it.each([
    ["/api/health", "POST", "GET, HEAD, OPTIONS"],
    ["/api/health", "DELETE", "GET, HEAD, OPTIONS"],
    ["/api/posts", "PATCH", "GET, HEAD, POST, OPTIONS"],
    ["/api/posts/01ARZ3NDEKTSV4RRFFQ69G5FAV", "POST", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"],
  ])("405 with Allow for %s %s", async (path, method, allow) => {
    const res = await w.fetch(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    await problem(res);
  });
});

describe("JSON request bodies", () => {
  const post = async (body: BodyInit | null, headers: Record<string, string>) =>
    w.fetch("/api/posts", { method: "POST", headers: { ...(await bearer("alice")), ...headers }, body });

  it.each([
    ["no Content-Type", {}],
    ["text/plain", { "content-type": "text/plain" }],
    ["a look-alike type", { "content-type": "application/jsonx" }],
    ["form data", { "content-type": "application/x-www-form-urlencoded" }],
  ])("415 for %s; nothing written", async (_n, headers) => {
    const res = await post('{"title":"a","content":"b"}', headers);
    expect(res.status).toBe(415);
    await problem(res);
    expect(await count()).toBe(0);
  });

  it("accepts media type parameters and any case", async () => {
    expect((await post('{"title":"a","content":"b"}', { "content-type": "Application/JSON; charset=utf-8" })).status).toBe(201);
  });

  it.each([
    ["unparseable JSON", '{"title": "a",'],
    ["an empty body", ""],
    ["a JSON array", "[1,2]"],
    ["a JSON string", '"hi"'],
    ["JSON null", "null"],
    ["a JSON number", "42"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ])("400 for %s; nothing written", async (_n, body) => {
    const res = await post(body as BodyInit, { "content-type": "application/json" });
    expect(res.status).toBe(400);
    await problem(res);
    expect(await count()).toBe(0);
  });

  it("accepts a body of exactly MAX_JSON_BYTES and refuses one byte more with 413", async () => {
    expect((await post(bodyOfSize(MAX), { "content-type": "application/json" })).status).toBe(201);
    const res = await post(bodyOfSize(MAX + 1), { "content-type": "application/json" });
    expect(res.status).toBe(413);
    await problem(res);
    expect(await count()).toBe(1);
  });

  it("413 for an oversized chunked body without Content-Length; nothing written", async () => {
    const body = bodyOfSize(MAX * 3);
    const res = await raw(
      "/api/posts",
      { "content-type": "application/json", ...(await bearer("alice")) },
      [body.slice(0, 500), body.slice(500, 1500), body.slice(1500)],
      true,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    expect(await count()).toBe(0);
  });

  it("a chunked body within the limit is fine", async () => {
    const body = bodyOfSize(MAX - 10);
    const res = await raw(
      "/api/posts",
      { "content-type": "application/json", ...(await bearer("alice")) },
      [body.slice(0, 100), body.slice(100)],
      true,
    );
    expect(res.status).toBe(201);
  });
});

describe("CORS", () => {
  it("an allowed origin is echoed with Vary and the exposed headers, never credentials", async () => {
    const res = await w.fetch("/api/health", { headers: { origin: "https://app.example.com" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("vary")).toContain("Origin");
    const exposed = res.headers.get("access-control-expose-headers")!.toLowerCase();
    for (const h of ["etag", "location", "x-request-id", "x-d1-bookmark", "retry-after", "ratelimit-policy"]) expect(exposed).toContain(h);
    expect(res.headers.has("access-control-allow-credentials")).toBe(false);
  });

  it("a disallowed or missing origin gets no Access-Control-Allow-* header, but the request runs", async () => {
    for (const headers of [{ origin: "https://evil.example.com" }, { origin: "null" }, {}] as Record<string, string>[]) {
      const res = await w.fetch("/api/posts", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", ...(await bearer("alice")) },
        body: '{"title":"a","content":"b"}',
      });
      expect(res.status).toBe(201);
      expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-allow"))).toEqual([]);
    }
    expect(await count()).toBe(3);
  });

  it.each([
    ["/api/posts", "GET, HEAD, POST, OPTIONS"],
    ["/api/posts/01ARZ3NDEKTSV4RRFFQ69G5FAV", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"],
    ["/api/health", "GET, HEAD, OPTIONS"],
  ])("preflight on %s: 204 with the route's own methods", async (path, methods) => {
    const res = await w.fetch(path, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type, authorization, if-match",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(res.headers.get("access-control-allow-methods")).toBe(methods);
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const h of ["content-type", "authorization", "idempotency-key", "if-match", "if-none-match", "x-request-id", "x-d1-bookmark"])
      expect(allowed).toContain(h);
    expect(res.headers.get("access-control-max-age")).toBe("86400");
    expect(res.headers.has("access-control-allow-credentials")).toBe(false);
    expect(await res.text()).toBe("");
  });

  it("preflight from a disallowed origin: 204 without Access-Control-Allow-*", async () => {
    const res = await w.fetch("/api/posts", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect([...res.headers.keys()].filter((k) => k.startsWith("access-control-allow"))).toEqual([]);
  });
});
