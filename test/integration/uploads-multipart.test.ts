/**
 * Presigned multipart uploads on the built Worker with its local S3-compatible endpoint (the R2
 * binding's multipart API): the whole flow, resume, abort, and every bad input refused with
 * nothing written or served.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { uploadClient, type FileDeclaration, type MultipartRef } from "../upload-client";
import { bearer, problem, useWorker, type Harness } from "./harness";

const MiB = 1024 * 1024;

interface Created {
  key: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  expiresAt: string;
}
interface SignedPart {
  partNumber: number;
  url: string;
  size: number;
  headers: Record<string, string>;
}

const bytes = (n: number, seed = 7): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >> 13)) & 255;
  return out;
};
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The shared upload client, as `sub`, against this file's Worker. */
const client = (w: Harness, sub = "alice") => uploadClient({ base: w.url(), authorization: async () => (await bearer(sub)).authorization });
const post = async (w: Harness, path: string, body: unknown, sub = "alice") =>
  w.fetch(path, { method: "POST", headers: { "content-type": "application/json", ...(await bearer(sub)) }, body: JSON.stringify(body) });

async function create(w: Harness, body: FileDeclaration, sub = "alice") {
  const res = await client(w, sub).createMultipart(body);
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}
async function sign(w: Harness, u: Created, partNumbers: number[], sub = "alice") {
  const res = await client(w, sub).signParts(u, partNumbers);
  expect(res.status).toBe(200);
  return ((await res.json()) as { parts: SignedPart[] }).parts;
}
async function putPart(p: SignedPart, data: Uint8Array<ArrayBuffer>, partSize: number) {
  const body = data.subarray((p.partNumber - 1) * partSize, (p.partNumber - 1) * partSize + p.size);
  const res = await fetch(p.url, { method: "PUT", headers: p.headers, body });
  expect(res.status).toBe(200);
  const etag = res.headers.get("etag");
  expect(etag).toBeTruthy();
  return { partNumber: p.partNumber, etag: etag! };
}
const list = (w: Harness, u: MultipartRef, sub = "alice") => client(w, sub).listParts(u);
const complete = (w: Harness, u: MultipartRef, parts: { partNumber: number; etag: string }[], sub = "alice") =>
  client(w, sub).completeMultipart(u, parts);
const abort = (w: Harness, u: MultipartRef, sub = "alice") => client(w, sub).abortMultipart(u);
const rows = async (w: Harness) =>
  (await (await w.env()).DB.prepare("SELECT key, completed_at FROM uploads").all<{ key: string; completed_at: number | null }>()).results;
const objectKeys = async (w: Harness) => (await (await w.env()).BUCKET.list({ prefix: "uploads/" })).objects.map((o) => o.key);
const download = (w: Harness, key: string, sub = "alice") => client(w, sub).download(key);

const FILE = { filename: "video.png", contentType: "image/png" };

describe("multipart upload: 12 MiB + 1 byte in 3 parts", () => {
  const w = useWorker();

  it("create → sign → parallel part PUTs → list → complete → download; SHA-256 matches; completing twice answers the same", async () => {
    const data = bytes(12 * MiB + 1);
    const u = await create(w, { ...FILE, size: data.length });
    expect(u).toMatchObject({ key: expect.stringMatching(/^uploads\/alice\/[0-9a-f]{32}\/video\.png$/), partSize: 5 * MiB, partCount: 3 });
    const signed = await sign(w, u, [1, 2, 3]);
    expect(signed.map((p) => p.size)).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 1]);
    for (const p of signed) {
      const q = new URL(p.url).searchParams;
      expect(q.get("X-Amz-SignedHeaders")).toBe("content-length;host");
      expect(q.get("partNumber")).toBe(String(p.partNumber));
      expect(q.get("uploadId")).toBe(u.uploadId);
    }
    const parts = await Promise.all(signed.map((p) => putPart(p, data, u.partSize)));

    const listed = await list(w, u);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({
      key: u.key,
      uploadId: u.uploadId,
      partSize: u.partSize,
      partCount: 3,
      parts: parts.map((p, i) => ({ partNumber: p.partNumber, etag: p.etag.replace(/"/g, ""), size: signed[i]!.size })),
    });

    const done = await complete(w, u, parts);
    expect(done.status).toBe(200);
    const result = (await done.json()) as { key: string; size: number; contentType: string; etag: string };
    expect(result).toMatchObject({ key: u.key, size: data.length, contentType: "image/png" });
    const again = await complete(w, u, parts);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(result);

    const redirect = await download(w, u.key);
    expect(redirect.status).toBe(302);
    const got = await fetch(redirect.headers.get("location")!);
    expect(got.status).toBe(200);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(data));
    // The dev endpoint's parts ledger is gone with the upload.
    expect((await (await w.env()).BUCKET.list()).objects.map((o) => o.key)).toEqual([u.key]);
  });

  it("resume: list shows what arrived; sending only the missing part completes", async () => {
    const data = bytes(11 * MiB, 3);
    const u = await create(w, { ...FILE, size: data.length });
    const [p1, , p3] = await sign(w, u, [1, 2, 3]);
    const first = [await putPart(p1!, data, u.partSize), await putPart(p3!, data, u.partSize)];
    // What the client holds after the connection was lost: the ETags of parts 1 and 3.
    const listed = (await (await list(w, u)).json()) as { parts: { partNumber: number; etag: string }[] };
    expect(listed.parts.map((p) => p.partNumber)).toEqual([1, 3]);
    const missing = Array.from({ length: u.partCount }, (_, i) => i + 1).filter((n) => !listed.parts.some((p) => p.partNumber === n));
    expect(missing).toEqual([2]);
    const [p2] = await sign(w, u, missing);
    const second = await putPart(p2!, data, u.partSize);
    const all = [...listed.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })), second].sort(
      (a, b) => a.partNumber - b.partNumber,
    );
    const done = await complete(w, u, all);
    expect(done.status).toBe(200);
    const got = await fetch((await download(w, u.key)).headers.get("location")!);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(data));
    // The store listed exactly the ETags the client had been given for the parts that arrived
    // (the PUT answers a quoted entity tag, the listing the bare value).
    const unquoted = first.map((p) => ({ partNumber: p.partNumber, etag: p.etag.replace(/^"|"$/g, "") }));
    expect(listed.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }))).toEqual(unquoted);
  });

  it("abort: 204, the store drops the parts; the upload is then unknown everywhere (404), nothing served", async () => {
    const data = bytes(6 * MiB);
    const u = await create(w, { ...FILE, size: data.length });
    const [p1] = await sign(w, u, [1]);
    await putPart(p1!, data, u.partSize);
    expect((await abort(w, u)).status).toBe(204);
    expect(await rows(w)).toEqual([]);
    expect((await (await w.env()).BUCKET.list()).objects).toEqual([]);
    for (const res of [
      await list(w, u),
      await abort(w, u),
      await complete(w, u, [{ partNumber: 1, etag: "x" }]),
      await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers: [1] }),
    ]) {
      expect(res.status).toBe(404);
      await problem(res);
    }
    // The signed part URL no longer writes anything either.
    const late = await fetch(p1!.url, { method: "PUT", body: data.subarray(0, p1!.size) });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect(await objectKeys(w)).toEqual([]);
    expect((await download(w, u.key)).status).toBe(404);
  });
});

describe("multipart: the part layout of large files", () => {
  const w = useWorker();

  it("5 GiB (the default maximum): 99 parts of 52 MiB, all signed in one call, the last one the remainder", async () => {
    const size = 5 * 1024 * MiB;
    const u = await create(w, { ...FILE, size });
    expect(u).toMatchObject({ partSize: 52 * MiB, partCount: 99 });
    const signed = await sign(
      w,
      u,
      Array.from({ length: u.partCount }, (_, i) => i + 1),
    );
    expect(signed.map((p) => p.partNumber)).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    expect(signed.slice(0, -1).every((p) => p.size === 52 * MiB)).toBe(true);
    expect(signed.at(-1)!.size).toBe(size - 98 * 52 * MiB);
    for (const p of signed) expect(new URL(p.url).searchParams.get("partNumber")).toBe(String(p.partNumber));
    // The dev store takes a part of the signed length only (a short body, so that the refusal,
    // given before the body is read, reaches the client within the drain bound).
    const last = signed.at(-1)!;
    expect((await fetch(last.url, { method: "PUT", body: new Uint8Array(1024) })).status).toBe(403);
  });

  it("1 GiB: 94 parts of 11 MiB; 64 MiB: 13 parts of 5 MiB", async () => {
    expect(await create(w, { ...FILE, size: 1024 * MiB })).toMatchObject({ partSize: 11 * MiB, partCount: 94 });
    expect(await create(w, { ...FILE, size: 64 * MiB })).toMatchObject({ partSize: 5 * MiB, partCount: 13 });
  });
});

describe("multipart: bad input is a clear 4xx and nothing is written or served", () => {
  const w = useWorker({ vars: { UPLOAD_MULTIPART_MAX_BYTES: String(64 * MiB) } });

  it.each([
    ["size 0", { ...FILE, size: 0 }, "size"],
    ["a size over UPLOAD_MULTIPART_MAX_BYTES", { ...FILE, size: 64 * MiB + 1 }, "size"],
    ["a fractional size", { ...FILE, size: 1.5 }, "size"],
    ["a disallowed type", { ...FILE, contentType: "text/html", size: 10 }, "contentType"],
    ["no filename", { contentType: "image/png", size: 10 }, "filename"],
    ["no size", { ...FILE }, "size"],
    ["an unknown field", { ...FILE, size: 10, partSize: 1 }, "partSize"],
  ])("create with %s → 400", async (_n, body, field) => {
    const res = await post(w, "/api/uploads/multipart", body);
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty(field);
    expect(await rows(w)).toEqual([]);
  });

  it("part numbers 0, past partCount, more than 100, not integers, repeated, none → 400 with no URL", async () => {
    const u = await create(w, { ...FILE, size: 12 * MiB });
    const cases: [unknown, string][] = [
      [[0], "partNumbers.0"],
      [[1, 4], "partNumbers.1"],
      [Array.from({ length: 101 }, () => 1), "partNumbers"],
      [[1.5], "partNumbers.0"],
      [["1"], "partNumbers.0"],
      [[2, 2], "partNumbers"],
      [[], "partNumbers"],
      [[10001], "partNumbers.0"],
    ];
    for (const [partNumbers, field] of cases) {
      const res = await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers });
      expect(res.status, JSON.stringify(partNumbers)).toBe(400);
      const body = await problem(res);
      expect(body.errors, JSON.stringify(partNumbers)).toHaveProperty([field]);
      expect(JSON.stringify(body)).not.toContain("X-Amz-Signature");
    }
  });

  it("someone else's upload → 403 and nothing about it leaks; an unknown uploadId or key → 404", async () => {
    const u = await create(w, { ...FILE, size: 6 * MiB });
    for (const res of [
      await post(w, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers: [1] }, "bob"),
      await list(w, u, "bob"),
      await complete(w, u, [{ partNumber: 1, etag: "x" }], "bob"),
      await abort(w, u, "bob"),
    ]) {
      expect(res.status).toBe(403);
      const text = JSON.stringify(await problem(res));
      expect(text).not.toContain(u.uploadId);
      expect(text).not.toContain(u.key);
    }
    const unknownId = { key: u.key, uploadId: "not-the-upload-id" };
    const unknownKey = { key: "uploads/alice/0123456789abcdef0123456789abcdef/x.png", uploadId: u.uploadId };
    for (const target of [unknownId, unknownKey, { key: "../../etc/passwd", uploadId: u.uploadId }]) {
      for (const res of [await list(w, target), await abort(w, target), await complete(w, target, [{ partNumber: 1, etag: "x" }])]) {
        expect(res.status).toBe(404);
        await problem(res);
      }
    }
    // Bob's own list of someone else's upload id under his prefix: unknown.
    expect((await rows(w)).map((r) => r.key)).toEqual([u.key]);
    expect((await list(w, u)).status).toBe(200);
  });

  it("a part PUT of another length is refused by the store; the part is not recorded", async () => {
    const data = bytes(6 * MiB);
    const u = await create(w, { ...FILE, size: data.length });
    const [p1] = await sign(w, u, [1]);
    for (const body of [data.subarray(0, p1!.size - 1), new Uint8Array(p1!.size + 1)]) {
      const res = await fetch(p1!.url, { method: "PUT", body });
      expect(res.status).toBe(403);
      await problem(res);
    }
    expect(((await (await list(w, u)).json()) as { parts: unknown[] }).parts).toEqual([]);
  });

  it("completion with a missing part, a wrong ETag, or parts out of order → 400; nothing assembled or served", async () => {
    const data = bytes(12 * MiB + 1);
    const u = await create(w, { ...FILE, size: data.length });
    const parts = await Promise.all((await sign(w, u, [1, 2, 3])).map((p) => putPart(p, data, u.partSize)));
    const attempts: [string, { partNumber: number; etag: string }[]][] = [
      ["missing part", [parts[0]!, parts[2]!]],
      ["wrong etag", [parts[0]!, { ...parts[1]!, etag: '"0123456789abcdef0123456789abcdef"' }, parts[2]!]],
      ["out of order", [parts[1]!, parts[0]!, parts[2]!]],
      ["repeated", [parts[0]!, parts[0]!, parts[2]!]],
      ["none", []],
    ];
    for (const [what, list] of attempts) {
      const res = await complete(w, u, list);
      expect(res.status, what).toBe(400);
      await problem(res);
      expect(await objectKeys(w), what).toEqual([]);
      expect((await download(w, u.key)).status, what).toBe(404);
    }
    expect(await rows(w)).toEqual([{ key: u.key, completed_at: null }]);
    // The right list still completes afterwards.
    expect((await complete(w, u, parts)).status).toBe(200);
  });

  it("list/abort query without key or uploadId → 400", async () => {
    for (const qs of ["", "?key=uploads/alice/0123456789abcdef0123456789abcdef/a.png", "?uploadId=x", "?key=a&uploadId=b&extra=1"]) {
      for (const method of ["GET", "DELETE"]) {
        const res = await w.fetch(`/api/uploads/multipart${qs}`, { method, headers: await bearer("alice") });
        expect(res.status, `${method} ${qs}`).toBe(400);
        await problem(res);
      }
    }
  });
});

describe("multipart: lost answers and races", () => {
  const w = useWorker();

  /** Two parts uploaded and assembled by the store, while the Worker never recorded the completion (its answer was lost). */
  async function completedInStoreOnly() {
    const data = bytes(5 * MiB + 3);
    const u = await create(w, { ...FILE, size: data.length });
    const parts = [];
    for (const p of await sign(w, u, [1, 2])) parts.push(await putPart(p, data, u.partSize));
    const env = await w.env();
    await env.BUCKET.resumeMultipartUpload(u.key, u.uploadId).complete(
      parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag.replace(/"/g, "") })),
    );
    return { data, u, parts };
  }

  it("a completion the store finished but whose answer was lost completes on retry (verified, downloadable), not 404", async () => {
    const { data, u, parts } = await completedInStoreOnly();
    expect((await rows(w))[0]!.completed_at).toBeNull();
    const retried = await complete(w, u, parts);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ key: u.key, size: data.length });
    expect((await download(w, u.key)).status).toBe(302);
  });

  it("abort also removes an object a racing completion assembled, and the declaration", async () => {
    const { u } = await completedInStoreOnly();
    expect(await objectKeys(w)).toEqual([u.key]);
    expect((await abort(w, u)).status).toBe(204);
    expect(await objectKeys(w)).toEqual([]);
    expect(await rows(w)).toEqual([]);
  });
});
