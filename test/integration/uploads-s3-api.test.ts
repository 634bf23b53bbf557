/**
 * The S3-API path: with credentials and R2_S3_ENDPOINT set, the Worker makes the multipart calls
 * itself (aws4fetch) against an independent S3-compatible server started here (s3rver, from
 * npm), and the part PUTs and the download go straight to it.
 *
 * s3rver implements CreateMultipartUpload, UploadPart, CompleteMultipartUpload, HeadObject,
 * GetObject and DeleteObject. It does not implement ListParts or AbortMultipartUpload, does not
 * verify SigV4 signatures (it only checks the access key id) and does not check part ETags at
 * completion. So here it shows that the Worker's S3 calls interoperate with another S3
 * implementation, and that completion re-checks the assembled object even on a store that does
 * not enforce the signed lengths; the signature, length and ETag refusals, ListParts and Abort
 * are shown against the Worker's dev endpoint (the last describe, and uploads-multipart.test.ts).
 */
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Store } from "@/lib/uploads/store";
import { AUTH_SECRET, bearer, problem, useWorker, type Harness } from "./harness";

const MiB = 1024 * 1024;
const BUCKET = "routeflare-s3-test";
let endpoint = "";
let dir = "";
let server: S3rver | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "s3rver-"));
  server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = (await server.run()) as unknown as { port: number };
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const w = useWorker({
  vars: () => ({ R2_S3_ENDPOINT: endpoint, R2_BUCKET_NAME: BUCKET }),
  secrets: { R2_ACCESS_KEY_ID: "S3RVER", R2_SECRET_ACCESS_KEY: "S3RVER" },
});

const post = async (h: Harness, path: string, body: unknown) =>
  h.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer("alice")) },
    body: JSON.stringify(body),
  });
const bytes = (n: number): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 11)) & 255);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("multipart through the S3 API of a real S3-compatible server (s3rver)", () => {
  it("12 MiB + 1 byte: create and complete by the Worker, parts PUT straight to the server, download matches", async () => {
    const data = bytes(12 * MiB + 1);
    const created = await post(w, "/api/uploads/multipart", { filename: "big.pdf", contentType: "application/pdf", size: data.length });
    expect(created.status).toBe(201);
    const u = (await created.json()) as { key: string; uploadId: string; partSize: number; partCount: number };
    expect(u.partCount).toBe(3);
    const signed = await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers: [1, 2, 3] });
    const { parts } = (await signed.json()) as { parts: { partNumber: number; url: string; size: number }[] };
    for (const p of parts) expect(p.url.startsWith(`${endpoint}/${BUCKET}/${u.key}?`)).toBe(true);

    const etags = await Promise.all(
      parts.map(async (p) => {
        const start = (p.partNumber - 1) * u.partSize;
        const res = await fetch(p.url, { method: "PUT", body: data.subarray(start, start + p.size) });
        expect(res.status).toBe(200);
        return { partNumber: p.partNumber, etag: res.headers.get("etag")! };
      }),
    );
    const done = await post(w, "/api/uploads/multipart/complete", { key: u.key, uploadId: u.uploadId, parts: etags });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ key: u.key, size: data.length, contentType: "application/pdf" });

    const redirect = await w.fetch(`/api/uploads/${u.key}`, { headers: await bearer("alice"), redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(`${endpoint}/${BUCKET}/${u.key}?`)).toBe(true);
    const got = await fetch(location);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment/);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(data));
  });

  it("an assembled object of another size than declared (a store that ignores signed lengths) → 422, deleted, nothing served", async () => {
    const data = bytes(6 * MiB);
    const created = await post(w, "/api/uploads/multipart", { filename: "x.pdf", contentType: "application/pdf", size: data.length });
    const u = (await created.json()) as { key: string; uploadId: string; partSize: number };
    const signed = await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers: [1, 2] });
    const { parts } = (await signed.json()) as { parts: { partNumber: number; url: string; size: number }[] };
    const etags = [];
    for (const p of parts) {
      const start = (p.partNumber - 1) * u.partSize;
      // The last part one byte short: s3rver takes it although its length is signed.
      const res = await fetch(p.url, { method: "PUT", body: data.subarray(start, start + p.size - (p.partNumber === 2 ? 1 : 0)) });
      expect(res.status).toBe(200);
      etags.push({ partNumber: p.partNumber, etag: res.headers.get("etag")! });
    }
    const res = await post(w, "/api/uploads/multipart/complete", { key: u.key, uploadId: u.uploadId, parts: etags });
    expect(res.status).toBe(422);
    expect((await problem(res)).errors).toHaveProperty("size");
    const head = await s3Store({ endpoint, bucket: BUCKET, accessKeyId: "S3RVER", secretAccessKey: "S3RVER", region: "auto" }).head(u.key);
    expect(head).toBeNull();
    expect((await w.fetch(`/api/uploads/${u.key}`, { headers: await bearer("alice"), redirect: "manual" })).status).toBe(404);
  });
});

describe("the same S3 client code against the Worker's dev endpoint: all five multipart calls", () => {
  const dev = useWorker();

  it("create, upload parts (signed by the Worker), list, complete, and abort another", async () => {
    const secretAccessKey = createHmac("sha256", AUTH_SECRET).update("routeflare dev-s3 signing key v1").digest("hex");
    const store = s3Store({
      endpoint: `${dev.url().origin}/api/dev-s3`,
      bucket: "routeflare-uploads",
      accessKeyId: "ROUTEFLARE-DEV",
      secretAccessKey,
      region: "auto",
    });
    const key = "uploads/alice/0123456789abcdef0123456789abcdef/direct.png";
    const uploadId = await store.create(key, { contentType: "image/png" });
    const { AwsClient } = await import("aws4fetch");
    const client = new AwsClient({ accessKeyId: "ROUTEFLARE-DEV", secretAccessKey, service: "s3", region: "auto" });
    const data = bytes(5 * MiB + 10);
    const partUrl = (n: number) =>
      `${dev.url().origin}/api/dev-s3/routeflare-uploads/${key}?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`;
    const put = async (n: number, body: Uint8Array<ArrayBuffer>) => {
      const res = await client.fetch(partUrl(n), {
        method: "PUT",
        body,
        headers: { "content-length": String(body.length) },
        aws: { signQuery: true, allHeaders: true },
      });
      expect(res.status).toBe(200);
      return res.headers.get("etag")!;
    };
    const e1 = await put(1, data.subarray(0, 5 * MiB));
    const e2 = await put(2, data.subarray(5 * MiB));
    expect((await store.listParts(key, uploadId)).map((p) => [p.partNumber, p.size])).toEqual([
      [1, 5 * MiB],
      [2, 10],
    ]);
    await store.complete(key, uploadId, [
      { partNumber: 1, etag: e1 },
      { partNumber: 2, etag: e2 },
    ]);
    expect(await store.head(key)).toMatchObject({ size: data.length, contentType: "image/png" });

    const other = await store.create(`${key}2`, { contentType: "image/png" });
    await store.abort(`${key}2`, other);
    expect(await store.listParts(`${key}2`, other)).toEqual([]);
    await expect(store.complete(`${key}2`, other, [{ partNumber: 1, etag: e1 }])).rejects.toMatchObject({ name: "StoreRefused" });
  });
});
