/**
 * The S3-API path: with credentials and R2_S3_ENDPOINT set, the Worker makes its store calls
 * itself with aws4fetch (CreateMultipartUpload, ListParts, CompleteMultipartUpload,
 * AbortMultipartUpload, HeadObject, DeleteObject) against a real S3-compatible server started
 * here, OpenStack Swift with its S3 API (./swift-s3.ts), and the part PUTs and the downloads go
 * straight to it with the Worker's presigned URLs. Swift checks every SigV4 signature, so it is
 * the store itself that refuses a part of another length or a tampered URL, and it checks part
 * ETags at completion. What Swift holds is read back with the store's credentials, apart from
 * the Worker's client code.
 *
 * The last describe runs the same S3 client code against the Worker's dev endpoint, which
 * answers the same five multipart calls in development.
 */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_COMPLETE_BODY_BYTES } from "@/lib/dev/s3";
import { s3Store } from "@/lib/uploads/store";
import { AUTH_SECRET, bearer, problem, useWorker, type Harness } from "./harness";
import { SWIFT_S3_SECRETS, useSwiftS3 } from "./swift-s3";

const MiB = 1024 * 1024;

const s3 = useSwiftS3();
const w = useWorker({ vars: () => ({ R2_S3_ENDPOINT: s3().endpoint, R2_BUCKET_NAME: s3().bucket }), secrets: SWIFT_S3_SECRETS });

interface Created {
  key: string;
  uploadId: string;
  partSize: number;
  partCount: number;
}
interface SignedPart {
  partNumber: number;
  url: string;
  size: number;
}
type PartRef = { partNumber: number; etag: string };

const post = async (h: Harness, path: string, body: unknown) =>
  h.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer("alice")) },
    body: JSON.stringify(body),
  });
const bytes = (n: number, seed = 0): Uint8Array<ArrayBuffer> =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed + (i >> 11)) & 255);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const md5Hex = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
const FILE = { filename: "big.pdf", contentType: "application/pdf" };

async function create(size: number) {
  const res = await post(w, "/api/uploads/multipart", { ...FILE, size });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}
async function sign(u: Created, partNumbers: number[]) {
  const res = await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { parts: SignedPart[] }).parts;
}
const partBody = (data: Uint8Array<ArrayBuffer>, u: Created, p: SignedPart) =>
  data.subarray((p.partNumber - 1) * u.partSize, (p.partNumber - 1) * u.partSize + p.size);
async function putPart(data: Uint8Array<ArrayBuffer>, u: Created, p: SignedPart): Promise<PartRef> {
  const res = await fetch(p.url, { method: "PUT", body: partBody(data, u, p) });
  expect(res.status).toBe(200);
  return { partNumber: p.partNumber, etag: res.headers.get("etag")! };
}
const query = (u: Pick<Created, "key" | "uploadId">) => new URLSearchParams({ key: u.key, uploadId: u.uploadId });
const list = async (u: Created) => w.fetch(`/api/uploads/multipart?${query(u)}`, { headers: await bearer("alice") });
const abort = async (u: Created) => w.fetch(`/api/uploads/multipart?${query(u)}`, { method: "DELETE", headers: await bearer("alice") });
const complete = (u: Created, parts: PartRef[]) => post(w, "/api/uploads/multipart/complete", { key: u.key, uploadId: u.uploadId, parts });
const download = async (key: string) => w.fetch(`/api/uploads/${key}`, { headers: await bearer("alice"), redirect: "manual" });
const rows = async () =>
  (await (await w.env()).DB.prepare("SELECT key, completed_at FROM uploads").all<{ key: string; completed_at: number | null }>()).results;
const unquote = (etag: string) => etag.replace(/"/g, "");

/** Swift's own answers, read with the store's credentials. */
const swift = {
  head: async (key: string) => {
    const res = await s3().client.fetch(s3().url(key), { method: "HEAD" });
    return { status: res.status, size: Number(res.headers.get("content-length")), etag: res.headers.get("etag") };
  },
  /** ListParts straight on Swift: the status and the S3 error code, if any. */
  listParts: async (u: Created) => {
    const res = await s3().client.fetch(s3().url(u.key, { uploadId: u.uploadId }));
    return { status: res.status, code: errorCode(await res.text()) };
  },
  /** The multipart uploads Swift still has in progress under `key`. */
  uploadsInProgress: async (key: string) => {
    const res = await s3().client.fetch(`${s3().endpoint}/${s3().bucket}?${new URLSearchParams({ uploads: "", prefix: key })}`);
    expect(res.status).toBe(200);
    return [...(await res.text()).matchAll(/<UploadId>([^<]*)<\/UploadId>/g)].map((m) => m[1]);
  },
};
const errorCode = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

/** Swift has no object under `key`, and the Worker serves none. */
async function expectNothingServed(key: string) {
  expect((await swift.head(key)).status).toBe(404);
  expect((await download(key)).status).toBe(404);
}

describe("multipart through the S3 API of OpenStack Swift", () => {
  it("12 MiB + 1 byte in 3 parts PUT straight to Swift; resume via ListParts; complete; the download matches", async () => {
    const data = bytes(12 * MiB + 1);
    const u = await create(data.length);
    expect(u).toMatchObject({ partSize: 5 * MiB, partCount: 3 });
    const signed = await sign(u, [1, 2, 3]);
    expect(signed.map((p) => p.size)).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 1]);
    for (const p of signed) {
      expect(p.url.startsWith(`${s3().url(u.key)}?`)).toBe(true);
      expect(new URL(p.url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;host");
    }

    // Parts 1 and 3 first; the list (Swift's ListParts through the Worker) says part 2 is missing.
    const first = await Promise.all([putPart(data, u, signed[0]!), putPart(data, u, signed[2]!)]);
    const listed = await list(u);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      key: u.key,
      uploadId: u.uploadId,
      partSize: u.partSize,
      partCount: 3,
      parts: [
        { partNumber: 1, etag: unquote(first[0]!.etag), size: 5 * MiB },
        { partNumber: 3, etag: unquote(first[1]!.etag), size: 2 * MiB + 1 },
      ],
    });
    const [p2] = await sign(u, [2]);
    const second = await putPart(data, u, p2!);
    const all = (await (await list(u)).json()) as { parts: PartRef[] };
    expect(all.parts.map((p) => [p.partNumber, p.etag])).toEqual([
      [1, unquote(first[0]!.etag)],
      [2, unquote(second.etag)],
      [3, unquote(first[1]!.etag)],
    ]);

    // Completed with the ETags the list gave back.
    const done = await complete(
      u,
      all.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
    );
    expect(done.status).toBe(200);
    const result = (await done.json()) as { key: string; size: number; contentType: string; etag: string };
    expect(result).toMatchObject({ key: u.key, size: data.length, contentType: "application/pdf" });
    const stored = await swift.head(u.key);
    expect(stored).toEqual({ status: 200, size: data.length, etag: `"${result.etag}"` });
    expect(result.etag).toMatch(/-3$/);
    expect(await swift.uploadsInProgress(u.key)).toEqual([]);
    const again = await complete(u, [first[0]!, second, first[1]!]);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(result);
    expect(await rows()).toEqual([{ key: u.key, completed_at: expect.any(Number) }]);

    const redirect = await download(u.key);
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(`${s3().url(u.key)}?`)).toBe(true);
    const got = await fetch(location);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toBe('attachment; filename="big.pdf"');
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(data));
  });

  it("Swift refuses a part PUT of another length or with a tampered URL (403 SignatureDoesNotMatch); no part is recorded", async () => {
    const data = bytes(6 * MiB, 1);
    const u = await create(data.length);
    const other = await create(data.length);
    const [p1] = await sign(u, [1]);
    const body = partBody(data, u, p1!);
    const url = new URL(p1!.url);
    const tampered = (name: string, value: string) => {
      const t = new URL(url);
      t.searchParams.set(name, value);
      return t.toString();
    };
    const signature = url.searchParams.get("X-Amz-Signature")!;
    const attempts: [string, string, Uint8Array<ArrayBuffer>][] = [
      ["one byte short", p1!.url, body.subarray(1)],
      ["one byte more", p1!.url, new Uint8Array(body.length + 1)],
      ["another signature", tampered("X-Amz-Signature", `${signature[0] === "0" ? "1" : "0"}${signature.slice(1)}`), body],
      ["another part number", tampered("partNumber", "2"), bytes(1 * MiB)],
      ["another upload id", tampered("uploadId", other.uploadId), body],
      ["a longer expiry", tampered("X-Amz-Expires", "604800"), body],
    ];
    for (const [what, target, payload] of attempts) {
      const res = await fetch(target, { method: "PUT", body: payload });
      expect(res.status, what).toBe(403);
      expect(errorCode(await res.text()), what).toBe("SignatureDoesNotMatch");
    }
    for (const upload of [u, other]) {
      const listed = await list(upload);
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { parts: unknown[] }).parts).toEqual([]);
    }
    // The untouched URL still works.
    await putPart(data, u, p1!);
  });

  it("completion naming a part Swift never received, or a wrong ETag → 400; nothing assembled or served; the right list completes", async () => {
    const data = bytes(12 * MiB + 1, 2);
    const u = await create(data.length);
    const signed = await sign(u, [1, 2, 3]);
    const [e1, e2] = await Promise.all([putPart(data, u, signed[0]!), putPart(data, u, signed[1]!)]);
    const refused = async (what: string, parts: PartRef[]) => {
      const res = await complete(u, parts);
      expect(res.status, what).toBe(400);
      const body = await problem(res);
      expect(body.type, what).toBe("/problems/invalid-parts");
      expect(body.errors, what).toHaveProperty("parts");
      await expectNothingServed(u.key);
      expect(await rows(), what).toEqual([{ key: u.key, completed_at: null }]);
    };
    // Swift's part ETag is the part's MD5: the right one for part 3, before part 3 exists.
    const e3Expected = { partNumber: 3, etag: md5Hex(partBody(data, u, signed[2]!)) };
    await refused("part 3 never uploaded", [e1!, e2!, e3Expected]);
    const e3 = await putPart(data, u, signed[2]!);
    expect(unquote(e3.etag)).toBe(e3Expected.etag);
    await refused("a wrong ETag for part 2", [e1!, { partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' }, e3]);
    expect((await complete(u, [e1!, e2!, e3])).status).toBe(200);
    expect((await swift.head(u.key)).size).toBe(data.length);
  });

  it("abort: Swift drops the upload (its part URL and ListParts answer NoSuchUpload); no declaration; nothing served", async () => {
    const data = bytes(6 * MiB, 3);
    const u = await create(data.length);
    const [p1, p2] = await sign(u, [1, 2]);
    await putPart(data, u, p1!);
    expect(await swift.uploadsInProgress(u.key)).toEqual([u.uploadId]);
    expect((await abort(u)).status).toBe(204);

    expect(await rows()).toEqual([]);
    expect(await swift.uploadsInProgress(u.key)).toEqual([]);
    expect(await swift.listParts(u)).toEqual({ status: 404, code: "NoSuchUpload" });
    const late = await fetch(p2!.url, { method: "PUT", body: partBody(data, u, p2!) });
    expect(late.status).toBe(404);
    expect(errorCode(await late.text())).toBe("NoSuchUpload");
    for (const res of [await list(u), await abort(u), await complete(u, [{ partNumber: 1, etag: "x" }])]) {
      expect(res.status).toBe(404);
      await problem(res);
    }
    await expectNothingServed(u.key);
  });

  it("an assembled object of another size than declared → 422, deleted from Swift, nothing served", async () => {
    // Swift holds the Worker's URLs to their signed lengths, so the short part is written around
    // them, with the store's own credentials (as anything holding the keys could).
    const data = bytes(6 * MiB, 4);
    const u = await create(data.length);
    const [p1] = await sign(u, [1]);
    const e1 = await putPart(data, u, p1!);
    const short = data.subarray(5 * MiB, 6 * MiB - 1);
    const res2 = await s3().client.fetch(s3().url(u.key, { partNumber: "2", uploadId: u.uploadId }), { method: "PUT", body: short });
    expect(res2.status).toBe(200);

    const res = await complete(u, [e1, { partNumber: 2, etag: res2.headers.get("etag")! }]);
    expect(res.status).toBe(422);
    const body = await problem(res);
    expect(body.type).toBe("/problems/upload-mismatch");
    expect(body.errors).toHaveProperty("size");
    expect(await rows()).toEqual([]);
    await expectNothingServed(u.key);
  });
});

describe("single PUT through Swift", () => {
  it("the presigned PUT goes to Swift, which holds it to the signed type and length; complete verifies; the download matches", async () => {
    const data = bytes(100_000, 5);
    const created = await post(w, "/api/uploads", { filename: "small.png", contentType: "image/png", size: data.length });
    expect(created.status).toBe(201);
    const { key, uploadUrl, headers } = (await created.json()) as { key: string; uploadUrl: string; headers: Record<string, string> };
    expect(uploadUrl.startsWith(`${s3().url(key)}?`)).toBe(true);
    for (const [what, init] of [
      ["another type", { headers: { "content-type": "text/html" }, body: data }],
      ["another length", { headers, body: data.subarray(1) }],
    ] as const) {
      const res = await fetch(uploadUrl, { method: "PUT", ...init });
      expect(res.status, what).toBe(403);
      expect(errorCode(await res.text()), what).toBe("SignatureDoesNotMatch");
    }
    expect((await swift.head(key)).status).toBe(404);

    expect((await fetch(uploadUrl, { method: "PUT", headers, body: data })).status).toBe(200);
    const done = await post(w, "/api/uploads/complete", { key });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ key, size: data.length, contentType: "image/png", etag: md5Hex(data) });
    const got = await fetch((await download(key)).headers.get("location")!);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-disposition")).toBe('attachment; filename="small.png"');
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(data));
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
    // A part list longer than any valid one is refused before it is read whole; nothing completes.
    const part = `<Part><PartNumber>1</PartNumber><ETag>${e1}</ETag></Part>`;
    const oversized = `<CompleteMultipartUpload>${part.repeat(Math.ceil(MAX_COMPLETE_BODY_BYTES / part.length) + 1)}</CompleteMultipartUpload>`;
    for (const body of [oversized, new Blob([oversized]).stream()]) {
      const refused = await client.fetch(
        `${dev.url().origin}/api/dev-s3/routeflare-uploads/${key}?uploadId=${encodeURIComponent(uploadId)}`,
        {
          method: "POST",
          body,
          aws: { signQuery: true },
          ...(typeof body === "string" ? {} : { duplex: "half" }),
        } as RequestInit & { aws: { signQuery: boolean } },
      );
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("<Code>MaxMessageLengthExceeded</Code>");
    }
    expect(await store.head(key)).toBeNull();
    expect(await store.listParts(key, uploadId)).toHaveLength(2);

    await store.complete(key, uploadId, [
      { partNumber: 1, etag: e1 },
      { partNumber: 2, etag: e2 },
    ]);
    expect(await store.head(key)).toMatchObject({ size: data.length, contentType: "image/png" });

    const other = await store.create(`${key}2`, { contentType: "image/png" });
    await store.abort(`${key}2`, other);
    // As S3 answers: an aborted upload has no parts to list, it does not exist.
    await expect(store.listParts(`${key}2`, other)).rejects.toMatchObject({ name: "StoreRefused", code: "NoSuchUpload" });
    await expect(store.listParts(key, uploadId)).rejects.toMatchObject({ name: "StoreRefused", code: "NoSuchUpload" });
    await expect(store.complete(`${key}2`, other, [{ partNumber: 1, etag: e1 }])).rejects.toMatchObject({ name: "StoreRefused" });
  });
});
