/**
 * Upload integrity on the built Worker: the store enforces what was declared, downloads serve
 * only the verified object, keys of any other shape never reach the store, the dev endpoint's
 * keys are per deployment, R2 outages are 503s, and the daily job removes abandoned uploads.
 */
import { createHmac } from "node:crypto";
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { AUTH_SECRET, bearer, problem, useWorker, type Harness } from "./harness";

interface Presigned {
  key: string;
  uploadUrl: string;
  headers: Record<string, string>;
}

const json = async (sub: string) => ({ "content-type": "application/json", ...(await bearer(sub)) });
async function presign(w: Harness, body: { filename: string; contentType: string; size: number }, sub = "alice") {
  const res = await w.fetch("/api/uploads", { method: "POST", headers: await json(sub), body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as Presigned;
}
const complete = async (w: Harness, key: string, sub = "alice") =>
  w.fetch("/api/uploads/complete", { method: "POST", headers: await json(sub), body: JSON.stringify({ key }) });
const download = async (w: Harness, key: string, sub = "alice") =>
  w.fetch(`/api/uploads/${key}`, { headers: await bearer(sub), redirect: "manual" });
const objects = async (w: Harness) => (await (await w.env()).BUCKET.list()).objects.map((o) => o.key);
const rows = async (w: Harness) =>
  (
    await (
      await w.env()
    ).DB.prepare("SELECT key, completed_at, etag FROM uploads ORDER BY key").all<{
      key: string;
      completed_at: number | null;
      etag: string | null;
    }>()
  ).results;

/** What a signer that knows a secret could make: a presigned dev-endpoint URL. */
async function forge(w: Harness, o: { key: string; method: "PUT" | "GET"; secretAccessKey: string; headers?: Record<string, string> }) {
  const url = new URL(`/api/dev-s3/routeflare-uploads/${o.key}`, w.url());
  url.searchParams.set("X-Amz-Expires", "600");
  const signer = new AwsV4Signer({
    method: o.method,
    url: url.toString(),
    headers: o.headers ?? {},
    accessKeyId: "ROUTEFLARE-DEV",
    secretAccessKey: o.secretAccessKey,
    service: "s3",
    region: "auto",
    signQuery: true,
    allHeaders: true,
  });
  return (await signer.sign()).url.toString();
}

describe("downloads serve only the object that completion verified", () => {
  const w = useWorker();

  it("after complete, a second PUT with the still-valid URL is not served; completing again answers the first result", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 5 });
    expect((await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "first" })).status).toBe(200);
    const done = await complete(w, p.key);
    expect(done.status).toBe(200);
    const first = (await done.json()) as { etag: string };
    expect((await download(w, p.key)).status).toBe(302);

    // Same length and type, other bytes: the store accepts it (the URL is valid until it expires) ...
    expect((await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "evil!" })).status).toBe(200);
    // ... but the API never hands it out.
    const res = await download(w, p.key);
    expect(res.status).toBe(404);
    await problem(res);
    const again = await complete(w, p.key);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ etag: first.etag });
    expect((await download(w, p.key)).status).toBe(404);
  });

  it("a declared upload never completed is not downloadable, even with its object in the store", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "abc" });
    const res = await download(w, p.key);
    expect(res.status).toBe(404);
    await problem(res);
  });

  it("the dev endpoint serves objects as sandboxed attachments, whatever their type", async () => {
    const p = await presign(w, { filename: "page.txt", contentType: "text/plain", size: 29 });
    await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "<script>alert(1)</script>!!!!" });
    expect((await complete(w, p.key)).status).toBe(200);
    const location = (await download(w, p.key)).headers.get("location")!;
    const got = await fetch(location);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(got.headers.get("content-security-policy")).toBe("sandbox");
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("uploads completed before ETags were recorded", () => {
  const w = useWorker();

  it("completing one again records its ETag, so it can be downloaded again", async () => {
    const p = await presign(w, { filename: "old.txt", contentType: "text/plain", size: 5 });
    expect((await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: "older" })).status).toBe(200);
    // A row as an earlier release left it: completed, no ETag.
    await (await w.env()).DB.prepare("UPDATE uploads SET completed_at = 1, etag = NULL WHERE key = ?").bind(p.key).run();
    expect((await download(w, p.key)).status).toBe(404);
    const again = await complete(w, p.key);
    expect(again.status).toBe(200);
    expect((await rows(w))[0]!.etag).toBeTruthy();
    expect((await download(w, p.key)).status).toBe(302);
  });
});

describe("the dev endpoint's signing key is derived from this deployment's AUTH_SECRET", () => {
  const w = useWorker();
  const derived = (secret: string) => createHmac("sha256", secret).update("routeflare dev-s3 signing key v1").digest("hex");

  it("the old public constant and keys derived from other secrets forge nothing; nothing is written", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    for (const secretAccessKey of [
      "routeflare-dev-s3-secret-not-for-production",
      derived("another-deployment-secret-0123456789"),
      derived("routeflare-local-development-secret-do-not-deploy"),
    ]) {
      const put = await fetch(await forge(w, { key: p.key, method: "PUT", secretAccessKey, headers: { "content-type": "text/html" } }), {
        method: "PUT",
        headers: { "content-type": "text/html" },
        body: "<h1>",
      });
      expect(put.status).toBe(403);
      await problem(put);
    }
    expect(await objects(w)).toEqual([]);
  });

  it("only the key derived from the deployment's own secret signs", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    const url = await forge(w, {
      key: p.key,
      method: "PUT",
      secretAccessKey: derived(AUTH_SECRET),
      headers: { "content-type": "text/plain" },
    });
    expect((await fetch(url, { method: "PUT", headers: { "content-type": "text/plain" }, body: "abc" })).status).toBe(200);
  });
});

describe("keys of any other shape get 404 without touching the store", () => {
  // Every R2 call the upload routes make fails here: a 404 (not a 503) shows R2 was never asked.
  const w = useWorker({ vars: { FAULT_R2: "on" } });
  const id = "0123456789abcdef0123456789abcdef";
  const other = "fedcba9876543210fedcba9876543210";
  const bad = [
    "x".repeat(3000),
    `uploads/alice/${id}/${"a".repeat(3000)}.png`,
    `uploads/alice/${id}/../../bob/${other}/a.png`,
    `uploads/alice/${id}/..%2F..%2Fbob%2F${other}%2Fa.png`,
    `uploads/alice/${id}/%2e%2e/x.png`,
    `uploads/alice/${id}/.hidden`,
    `uploads/alice/${id}/a.png/extra`,
    `uploads/alice/${id.toUpperCase()}/a.png`,
    `uploads/alice/${id}/a%00.png`,
    `uploads/alice/${id}/a b.png`,
    `uploads/alice/${id}/`,
    `uploads/alice/a.png`,
    `uploads//${id}/a.png`,
    `other/alice/${id}/a.png`,
  ];

  it.each(bad.map((k) => [k.length > 80 ? `${k.slice(0, 60)}…(${k.length})` : k, k]))("download %s → 404", async (_label, key) => {
    const res = await download(w, key);
    // An unencoded `../` is resolved by the URL itself, before any code sees it: the path then
    // names bob's key, which is checked (403) — the key checked is the key the path names.
    expect(res.status).toBe(key.includes("/../") ? 403 : 404);
    await problem(res);
  });

  it.each(bad.map((k) => [k.length > 80 ? `${k.slice(0, 60)}…(${k.length})` : k, k]))(
    "complete %s → 404 or 400, never the store",
    async (_label, key) => {
      const res = await complete(w, key);
      expect([400, 404]).toContain(res.status);
      await problem(res);
    },
  );

  it("the dev endpoint refuses them too (before checking any signature)", async () => {
    for (const key of bad.slice(1).filter((k) => !k.includes("/../"))) {
      const res = await w.fetch(`/api/dev-s3/routeflare-uploads/${key}`, { method: "PUT", body: "abc" });
      expect(res.status, key).toBe(404);
    }
  });
});

describe("R2 failing (development fault switch FAULT_R2=on)", () => {
  const w = useWorker({ vars: { FAULT_R2: "on" } });

  /** The error line of a request: its id, the 503, and the store's own error as the cause. */
  const logged = (requestId: string) =>
    expect
      .poll(() => w.logs().find((l) => l.includes(requestId) && l.includes('"level":"error"')))
      .toSatisfy((line?: string) => {
        const entry = line === undefined ? undefined : JSON.parse(line);
        return entry?.status === 503 && /R2 fault injected/.test(entry.error?.message ?? "") && entry.requestId === requestId;
      });

  it("complete → 503 + Retry-After; the declaration stays uncompleted", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    await (await w.env()).BUCKET.put(p.key, "abc", { httpMetadata: { contentType: "text/plain" } });
    const res = await complete(w, p.key);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await problem(res);
    expect(body.type).toMatch(/storage-unavailable$/);
    expect(await rows(w)).toEqual([{ key: p.key, completed_at: null, etag: null }]);
    await logged(body.requestId);
  });

  it("download of a completed upload → 503 + Retry-After", async () => {
    const p = await presign(w, { filename: "a.txt", contentType: "text/plain", size: 3 });
    const object = await (await w.env()).BUCKET.put(p.key, "abc", { httpMetadata: { contentType: "text/plain" } });
    await (
      await w.env()
    ).DB.prepare("UPDATE uploads SET completed_at = ?, etag = ? WHERE key = ?")
      .bind(Date.now(), object!.etag, p.key)
      .run();
    const res = await download(w, p.key);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    await logged((await problem(res)).requestId);
  });

  it("multipart create → 503 + Retry-After and no declaration", async () => {
    const res = await w.fetch("/api/uploads/multipart", {
      method: "POST",
      headers: await json("alice"),
      body: JSON.stringify({ filename: "a.pdf", contentType: "application/pdf", size: 6 << 20 }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    await logged((await problem(res)).requestId);
    expect(await rows(w)).toEqual([]);
  });
});

describe("daily maintenance removes abandoned uploads", () => {
  const w = useWorker();
  const HOUR = 3_600_000;

  it("deletes declarations (and objects) whose URL expired more than an hour ago and were never completed; keeps the rest", async () => {
    const { DB } = await w.env();
    const stale = await presign(w, { filename: "stale.txt", contentType: "text/plain", size: 3 });
    await fetch(stale.uploadUrl, { method: "PUT", headers: stale.headers, body: "abc" });
    const staleNoObject = await presign(w, { filename: "never.txt", contentType: "text/plain", size: 3 });
    const recent = await presign(w, { filename: "recent.txt", contentType: "text/plain", size: 3 });
    await fetch(recent.uploadUrl, { method: "PUT", headers: recent.headers, body: "abc" });
    const done = await presign(w, { filename: "done.txt", contentType: "text/plain", size: 3 });
    await fetch(done.uploadUrl, { method: "PUT", headers: done.headers, body: "abc" });
    expect((await complete(w, done.key)).status).toBe(200);
    const setExpiry = DB.prepare("UPDATE uploads SET expires_at = ? WHERE key = ?");
    await DB.batch([
      setExpiry.bind(Date.now() - 2 * HOUR, stale.key),
      setExpiry.bind(Date.now() - 2 * HOUR, staleNoObject.key),
      setExpiry.bind(Date.now() - HOUR / 2, recent.key),
      setExpiry.bind(Date.now() - 48 * HOUR, done.key),
    ]);

    expect((await w.scheduled("17 3 * * *")).outcome).toBe("ok");
    expect((await rows(w)).map((r) => r.key).sort()).toEqual([done.key, recent.key].sort());
    expect((await objects(w)).sort()).toEqual([done.key, recent.key].sort());
    const line = w.logs().find((l) => l.includes("maintenance done"));
    expect(JSON.parse(line!)).toMatchObject({ deleted: { uncompletedUploads: 2 } });
  });

  it("aborts multipart uploads started more than 24 h ago and never completed, parts and all", async () => {
    const post = async (path: string, body: unknown) =>
      w.fetch(path, { method: "POST", headers: await json("alice"), body: JSON.stringify(body) });
    const started = async () =>
      (await (await post("/api/uploads/multipart", { filename: "big.pdf", contentType: "application/pdf", size: 6 << 20 })).json()) as {
        key: string;
        uploadId: string;
      };
    const old = await started();
    const fresh = await started();
    const [part] = (
      (await (await post("/api/uploads/multipart/parts", { key: old.key, uploadId: old.uploadId, partNumbers: [1] })).json()) as {
        parts: { url: string; size: number }[];
      }
    ).parts;
    expect((await fetch(part!.url, { method: "PUT", body: new Uint8Array(part!.size) })).status).toBe(200);
    await (
      await w.env()
    ).DB.prepare("UPDATE uploads SET expires_at = ? WHERE key = ?")
      .bind(Date.now() - 1000, old.key)
      .run();

    expect((await w.scheduled("17 3 * * *")).outcome).toBe("ok");
    expect((await rows(w)).map((r) => r.key)).toEqual([fresh.key]);
    // The old upload's part and dev-store ledger are gone; the fresh one is still open (its marker).
    expect(await objects(w)).toEqual([`dev-s3-parts/${encodeURIComponent(fresh.uploadId)}/open`]);
    const listed = await w.fetch(`/api/uploads/multipart?${new URLSearchParams({ key: old.key, uploadId: old.uploadId })}`, {
      headers: await bearer("alice"),
    });
    expect(listed.status).toBe(404);
  });
});
