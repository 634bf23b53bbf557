/** Direct-to-R2 uploads, on the built Worker with its local S3-compatible endpoint. */
import { describe, expect, it } from "vitest";
import { countRows } from "../rows";
import { bearer, problem, useWorker, type Harness } from "./harness";

interface Presigned {
  key: string;
  uploadUrl: string;
  method: "PUT";
  headers: Record<string, string>;
  expiresAt: string;
}

async function presign(w: Harness, body: unknown, sub = "alice") {
  return w.fetch("/api/uploads", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(sub)) },
    body: JSON.stringify(body),
  });
}
async function presignOk(w: Harness, body: { filename: string; contentType: string; size: number }, sub = "alice") {
  const res = await presign(w, body, sub);
  expect(res.status).toBe(201);
  return (await res.json()) as Presigned;
}
async function complete(w: Harness, key: string, sub = "alice") {
  return w.fetch("/api/uploads/complete", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer(sub)) },
    body: JSON.stringify({ key }),
  });
}
const countUploads = (w: Harness) => countRows(w, "uploads");
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256);

describe("local development (no R2 credentials): presign → PUT → complete → download", () => {
  const w = useWorker();

  it("round-trips a file through the dev S3 endpoint, the bytes landing in R2", async () => {
    const data = bytes(70_000);
    const p = await presignOk(w, { filename: "photo.png", contentType: "image/png", size: data.length });
    expect(p.method).toBe("PUT");
    expect(p.headers).toEqual({ "content-type": "image/png" });
    expect(p.key).toMatch(/^uploads\/alice\/[0-9a-f]{32}\/photo\.png$/);
    expect(new Date(p.expiresAt).getTime()).toBeGreaterThan(Date.now() + 590_000);

    const url = new URL(p.uploadUrl);
    expect(url.pathname).toBe(`/api/dev-s3/routeflare-uploads/${p.key}`);
    const q = url.searchParams;
    expect(q.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(q.get("X-Amz-Credential")).toMatch(/^[^/]+\/\d{8}\/auto\/s3\/aws4_request$/);
    expect(q.get("X-Amz-Expires")).toBe("600");
    expect(q.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
    expect([...q.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);

    const put = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: data });
    expect(put.status).toBe(200);
    const stored = await (await w.env()).BUCKET.get(p.key);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(data);

    const done = await complete(w, p.key);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ key: p.key, size: data.length, contentType: "image/png", etag: expect.any(String) });

    const download = await w.fetch(`/api/uploads/${p.key}`, { headers: await bearer("alice"), redirect: "manual" });
    expect(download.status).toBe(302);
    const location = download.headers.get("location")!;
    expect(new URL(location).searchParams.get("X-Amz-Expires")).toBe("300");
    expect(new URL(location).searchParams.get("response-content-disposition")).toBe('attachment; filename="photo.png"');
    const got = await fetch(location);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toBe('attachment; filename="photo.png"');
    expect(got.headers.get("content-security-policy")).toBe("sandbox");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(data);
    expect(download.headers.get("vary")).toMatch(/accept/i);

    // Asked for JSON by name: the same presigned link as a body, and when it stops working.
    for (const accept of ["application/json", "text/html;q=0.9, application/json", "application/json; q=0.5"]) {
      const before = Date.now();
      const link = await w.fetch(`/api/uploads/${p.key}`, { headers: { ...(await bearer("alice")), accept }, redirect: "manual" });
      expect(link.status).toBe(200);
      expect(link.headers.get("content-type")).toMatch(/^application\/json/);
      expect(link.headers.get("vary")).toMatch(/accept/i);
      const { url, expiresAt } = (await link.json()) as { url: string; expiresAt: string };
      const expires = new Date(expiresAt).getTime();
      expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 300_000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 300_000);
      const signed = new URL(url).searchParams.get("X-Amz-Date")!;
      expect(Date.parse(signed.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z")) + 300_000).toBe(expires);
      expect(new Uint8Array(await (await fetch(url)).arrayBuffer())).toEqual(data);
    }
    // Not named, or refused with q=0: the redirect.
    for (const accept of ["*/*", "application/*", "application/json;q=0", "text/html"]) {
      const res = await w.fetch(`/api/uploads/${p.key}`, { headers: { ...(await bearer("alice")), accept }, redirect: "manual" });
      expect({ accept, status: res.status }).toEqual({ accept, status: 302 });
    }
  });

  it.each([
    ["a type that is not allowed", { filename: "a.exe", contentType: "application/x-msdownload", size: 10 }, "contentType"],
    ["size 0", { filename: "a.png", contentType: "image/png", size: 0 }, "size"],
    ["a negative size", { filename: "a.png", contentType: "image/png", size: -1 }, "size"],
    ["a fractional size", { filename: "a.png", contentType: "image/png", size: 1.5 }, "size"],
    ["a size over UPLOAD_MAX_BYTES", { filename: "a.png", contentType: "image/png", size: 100 * 1024 * 1024 + 1 }, "size"],
    ["a size as a string", { filename: "a.png", contentType: "image/png", size: "10" }, "size"],
    ["no filename", { contentType: "image/png", size: 10 }, "filename"],
    ["an unknown key", { filename: "a.png", contentType: "image/png", size: 10, acl: "public-read" }, "acl"],
  ])("400 for %s, nothing recorded", async (_n, body, field) => {
    const res = await presign(w, body);
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty(field);
    expect(await countUploads(w)).toBe(0);
  });

  it("the dev endpoint answers browser preflights like the bucket's CORS rules", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    const res = await fetch(p.uploadUrl, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(res.headers.get("access-control-allow-methods")).toContain("PUT");
    expect(res.headers.get("access-control-allow-headers")!.toLowerCase()).toContain("content-type");
    const other = await fetch(p.uploadUrl, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "PUT" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("401 without a token", async () => {
    const res = await w.fetch("/api/uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"filename":"a.png","contentType":"image/png","size":1}',
    });
    expect(res.status).toBe(401);
    await problem(res);
  });

  it.each(["../../x", "a/b", "\\..\\evil", "nul\u0000byte.png", "gnp.\u202Eexe", "x".repeat(300) + ".png", "...."])(
    "nasty filename %j stays under the owner's prefix",
    async (filename) => {
      const p = await presignOk(w, { filename, contentType: "image/png", size: 1 });
      const parts = p.key.split("/");
      expect(parts).toHaveLength(4);
      expect(parts.slice(0, 2)).toEqual(["uploads", "alice"]);
      expect(parts[3]).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,119}$/);
    },
  );

  it("a PUT with another Content-Type is refused by the signature, nothing stored", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    const res = await fetch(p.uploadUrl, { method: "PUT", headers: { "content-type": "text/html" }, body: "abc" });
    expect(res.status).toBe(403);
    expect(await (await w.env()).BUCKET.head(p.key)).toBeNull();
  });

  it("a tampered signature, key or expiry is refused, nothing stored", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    const url = new URL(p.uploadUrl);
    const sig = url.searchParams.get("X-Amz-Signature")!;
    const variants = [
      (u: URL) => u.searchParams.set("X-Amz-Signature", (sig[0] === "a" ? "b" : "a") + sig.slice(1)),
      (u: URL) => (u.pathname = u.pathname.replace("a.png", "b.png")),
      (u: URL) => u.searchParams.set("X-Amz-Expires", "604800"),
      (u: URL) => u.searchParams.delete("X-Amz-Signature"),
    ];
    for (const change of variants) {
      const u = new URL(url);
      change(u);
      const res = await fetch(u, { method: "PUT", headers: p.headers, body: "abc" });
      expect(res.status).toBe(403);
    }
    expect((await (await w.env()).BUCKET.list()).objects).toHaveLength(0);
  });

  it("another user's key: 403 on complete and download", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "abc" });
    const c = await complete(w, p.key, "bob");
    expect(c.status).toBe(403);
    await problem(c);
    const d = await w.fetch(`/api/uploads/${p.key}`, { headers: await bearer("bob"), redirect: "manual" });
    expect(d.status).toBe(403);
    expect(await (await w.env()).BUCKET.head(p.key)).not.toBeNull();
  });

  it("complete before the upload, or for an unknown key: 404", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    expect((await complete(w, p.key)).status).toBe(404);
    expect((await complete(w, "uploads/alice/00000000000000000000000000000000/none.png")).status).toBe(404);
    expect((await complete(w, "../../etc/passwd")).status).toBe(404);
    // Declared and uploaded but never completed: not downloadable.
    await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "abc" });
    const d = await w.fetch(`/api/uploads/${p.key}`, { headers: await bearer("alice"), redirect: "manual" });
    expect(d.status).toBe(404);
  });

  it("a PUT of another length than declared is refused by the store (signed Content-Length), nothing stored", async () => {
    const p = await presignOk(w, { filename: "a.txt", contentType: "text/plain", size: 10 });
    expect(new URL(p.uploadUrl).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
    for (const body of ["only five", "eleven byte", "x".repeat(5000)]) {
      const res = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body });
      expect(res.status).toBe(403);
      await problem(res);
    }
    expect(await (await w.env()).BUCKET.head(p.key)).toBeNull();
    expect((await complete(w, p.key)).status).toBe(404);
  });

  it("an object that does not match its declaration (written around the URL) is deleted with its declaration: 422", async () => {
    const p = await presignOk(w, { filename: "a.txt", contentType: "text/plain", size: 10 });
    // The store enforces the signed length and type, so only a writer with bucket access can do this.
    await (await w.env()).BUCKET.put(p.key, "only five", { httpMetadata: { contentType: "text/html" } });
    const res = await complete(w, p.key);
    expect(res.status).toBe(422);
    expect(Object.keys((await problem(res)).errors!).sort()).toEqual(["contentType", "size"]);
    expect(await (await w.env()).BUCKET.head(p.key)).toBeNull();
    expect(await countUploads(w)).toBe(0);
  });

  it("a PUT without Content-Length (chunked) is refused: the signed length is missing; none is stored", async () => {
    const p = await presignOk(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("abc"));
        c.close();
      },
    });
    const res = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(403);
    expect(await (await w.env()).BUCKET.head(p.key)).toBeNull();
  });
});

describe("an expired upload URL", () => {
  const w = useWorker({ vars: { UPLOAD_URL_TTL_SECONDS: "1" } });

  it("is refused", async () => {
    const p = await presignOk(w, { filename: "a.png", contentType: "image/png", size: 3 });
    await new Promise((r) => setTimeout(r, 2200));
    const res = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "abc" });
    expect(res.status).toBe(403);
    expect(await (await w.env()).BUCKET.head(p.key)).toBeNull();
  });
});

describe("with real R2 credentials", () => {
  const w = useWorker({ secrets: { R2_ACCOUNT_ID: "0123abcd", R2_ACCESS_KEY_ID: "AKREAL", R2_SECRET_ACCESS_KEY: "SKREAL" } });

  it("points at R2's S3 API and the dev endpoint does not exist", async () => {
    const p = await presignOk(w, { filename: "a.pdf", contentType: "application/pdf", size: 3 });
    expect(p.uploadUrl.startsWith(`https://0123abcd.r2.cloudflarestorage.com/routeflare-uploads/${p.key}?`)).toBe(true);
    expect(new URL(p.uploadUrl).searchParams.get("X-Amz-Credential")).toMatch(/^AKREAL\//);
    const dev = await w.fetch(`/api/dev-s3/routeflare-uploads/${p.key}`, { method: "PUT", body: "abc" });
    expect(dev.status).toBe(404);
  });
});

describe("with R2_S3_ENDPOINT", () => {
  const w = useWorker({
    secrets: { R2_S3_ENDPOINT: "https://s3.example.test", R2_ACCESS_KEY_ID: "AK", R2_SECRET_ACCESS_KEY: "SK", R2_BUCKET_NAME: "mybucket" },
  });

  it("points there, path-style", async () => {
    const p = await presignOk(w, { filename: "a.pdf", contentType: "application/pdf", size: 3 });
    expect(p.uploadUrl.startsWith(`https://s3.example.test/mybucket/${p.key}?`)).toBe(true);
  });
});

describe("in production without credentials", () => {
  const w = useWorker({ vars: { ENVIRONMENT: "production" } });

  it("presigning is 503 (not configured) and the dev endpoint is 404", async () => {
    const res = await presign(w, { filename: "a.png", contentType: "image/png", size: 3 });
    expect(res.status).toBe(503);
    await problem(res);
    expect(await countUploads(w)).toBe(0);
    expect((await w.fetch("/api/dev-s3/routeflare-uploads/uploads/alice/x/a.png", { method: "PUT", body: "abc" })).status).toBe(404);
  });
});
