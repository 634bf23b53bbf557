import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { verifyPresignedRequest } from "@/lib/dev/s3";
import { isOwnedBy, newUploadKey, ownerPrefix, parseUploadKey, sanitizeFilename } from "@/lib/uploads/keys";
import fc from "fast-check";
import { MAX_OBJECT_BYTES, resolveConfig, type Env } from "@/lib/config";
import { partCountFor, partLength, partSizeFor } from "@/lib/uploads/multipart";
import { createPresigner, objectUrl, presign, type PresignRequest, type S3Target } from "@/lib/uploads/presign";

// AWS's published example: "Example of a presigned URL" in the S3 SigV4 query-auth docs.
const AWS = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  url: "https://examplebucket.s3.amazonaws.com/test.txt",
  datetime: "20130524T000000Z",
  signature: "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
};

describe("SigV4 presigning against AWS's published example", () => {
  it("aws4fetch produces the published signature", async () => {
    const signer = new AwsV4Signer({
      method: "GET",
      url: `${AWS.url}?X-Amz-Expires=86400`,
      accessKeyId: AWS.accessKeyId,
      secretAccessKey: AWS.secretAccessKey,
      service: "s3",
      region: "us-east-1",
      signQuery: true,
      datetime: AWS.datetime,
    });
    const url = new URL((await signer.sign()).url);
    expect(url.searchParams.get("X-Amz-Signature")).toBe(AWS.signature);
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request");
  });

  it("the dev endpoint's verifier accepts exactly that URL, and nothing altered", async () => {
    const signed = `${AWS.url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=${AWS.signature}`;
    const at = Date.UTC(2013, 4, 24, 1);
    await expect(verifyPresignedRequest(new Request(signed), new URL(signed), { credentials: AWS, now: at })).resolves.toBeUndefined();
    const tampered = signed.replace("test.txt", "test2.txt");
    await expect(verifyPresignedRequest(new Request(tampered), new URL(tampered), { credentials: AWS, now: at })).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      verifyPresignedRequest(new Request(signed, { method: "PUT" }), new URL(signed), { credentials: AWS, now: at }),
    ).rejects.toMatchObject({ status: 403 });
    // Expired one second after its 86400 s.
    await expect(
      verifyPresignedRequest(new Request(signed), new URL(signed), { credentials: AWS, now: Date.UTC(2013, 4, 25, 0, 0, 1) }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it("presign() signs Content-Type and adds no checksum parameters", async () => {
    const target = {
      endpoint: "https://acc.r2.cloudflarestorage.com",
      bucket: "b",
      accessKeyId: "AK",
      secretAccessKey: "SK",
      region: "auto",
    };
    const url = new URL(await presign(target, { method: "PUT", key: "uploads/u/1/a.png", expiresIn: 600, contentType: "image/png" }));
    expect(url.origin + url.pathname).toBe("https://acc.r2.cloudflarestorage.com/b/uploads/u/1/a.png");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    const sized = new URL(
      await presign(target, { method: "PUT", key: "uploads/u/1/a.png", expiresIn: 600, contentType: "image/png", contentLength: 1234 }),
    );
    expect(sized.searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^AK\/\d{8}\/auto\/s3\/aws4_request$/);
    expect([...url.searchParams.keys()].filter((k) => /checksum|content-sha256/i.test(k))).toEqual([]);
  });
});

/** The same request signed by aws4fetch's signer: the reference the presigner is held to. */
async function aws4fetchPresign(target: S3Target, req: PresignRequest, datetime: string): Promise<URL> {
  const url = new URL(objectUrl(target, req.key));
  for (const [name, value] of Object.entries(req.query ?? {})) url.searchParams.set(name, value);
  url.searchParams.set("X-Amz-Expires", String(req.expiresIn));
  const headers: Record<string, string> = {};
  if (req.contentType !== undefined) headers["content-type"] = req.contentType;
  if (req.contentLength !== undefined) headers["content-length"] = String(req.contentLength);
  const signer = new AwsV4Signer({
    method: req.method,
    url: url.toString(),
    headers,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    service: "s3",
    region: target.region,
    signQuery: true,
    allHeaders: true,
    datetime,
  });
  return (await signer.sign()).url;
}

const sortedParams = (url: URL) => [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const amz = (d: Date) => d.toISOString().replace(/[:-]|\.\d{3}/g, "");

const targets = fc.record({
  endpoint: fc.constantFrom(
    "https://acc.r2.cloudflarestorage.com",
    "http://127.0.0.1:8787/api/dev-s3",
    "https://S3.Example:443/base/",
    "http://localhost:9000",
  ),
  bucket: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{2,30}$/),
  accessKeyId: fc.string({ minLength: 1, maxLength: 40 }),
  secretAccessKey: fc.string({ minLength: 1, maxLength: 64, unit: "grapheme" }),
  region: fc.constantFrom("auto", "us-east-1", "eu-central-1"),
});
// Header values as a Fetch `Headers` takes them: printable ASCII, spaces and tabs anywhere.
const headerValues = fc.string({ maxLength: 40, unit: fc.constantFrom(..." \t/;=+-.abcXYZ019\"'()*!~%") });
const requests = fc.record(
  {
    method: fc.constantFrom("PUT" as const, "GET" as const),
    key: fc.oneof(
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60, unit: "grapheme" }))
        .map(([sub, name]) => newUploadKey(sub, name)),
      fc.array(fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }), { minLength: 1, maxLength: 4 }).map((s) => s.join("/")),
    ),
    expiresIn: fc.integer({ min: 1, max: 604800 }),
    contentType: headerValues,
    contentLength: fc.integer({ min: 0, max: 5 * 1024 ** 3 }),
    query: fc.record(
      {
        partNumber: fc.integer({ min: 1, max: 10000 }).map(String),
        uploadId: fc.string({ maxLength: 80, unit: "grapheme" }),
        "response-content-disposition": fc.string({ maxLength: 60, unit: "grapheme" }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ["method", "key", "expiresIn"] },
);
const datetimes = fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }).map(amz);

describe("the presigner (property-based, against aws4fetch)", () => {
  it("signs exactly what aws4fetch signs: same path, same parameters, same signature", async () => {
    await fc.assert(
      fc.asyncProperty(targets, fc.array(requests, { minLength: 1, maxLength: 4 }), datetimes, async (target, reqs, datetime) => {
        // One presigner for several requests, as a signing call uses it.
        const presigner = await createPresigner(target, { datetime });
        for (const req of reqs) {
          const ours = new URL(await presigner.sign(req));
          const theirs = await aws4fetchPresign(target, req, datetime);
          expect(ours.origin + ours.pathname).toBe(theirs.origin + theirs.pathname);
          expect(sortedParams(ours)).toEqual(sortedParams(theirs));
          expect([...ours.searchParams.keys()].at(-1)).toBe("X-Amz-Signature");
        }
      }),
      { seed: 20261205, numRuns: 300 },
    );
  });

  it("its URLs pass the dev endpoint's check (aws4fetch) with the signed headers, and fail with another length", async () => {
    const credentials = { accessKeyId: "ROUTEFLARE-DEV", secretAccessKey: "a".repeat(64) };
    const target = { endpoint: "http://127.0.0.1:8787/api/dev-s3", bucket: "routeflare-uploads", region: "auto", ...credentials };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 1, max: 5 * 1024 ** 3 }),
        fc.date({ min: new Date("2020-01-01"), max: new Date("2090-01-01"), noInvalidDate: true }),
        async (partNumber, length, at) => {
          const key = newUploadKey("alice", "big file.pdf");
          const url = await presign(target, {
            method: "PUT",
            key,
            expiresIn: 600,
            contentLength: length,
            query: { partNumber: String(partNumber), uploadId: "upload/id+1=" },
            datetime: amz(at),
          });
          const put = (n: number) => new Request(url, { method: "PUT", headers: { "content-length": String(n) } });
          await expect(verifyPresignedRequest(put(length), new URL(url), { credentials, now: at.getTime() })).resolves.toBeUndefined();
          await expect(verifyPresignedRequest(put(length - 1), new URL(url), { credentials, now: at.getTime() })).rejects.toMatchObject({
            status: 403,
          });
        },
      ),
      { seed: 11, numRuns: 100 },
    );
  });
});

describe("upload keys", () => {
  it.each([
    ["../../x", "x"],
    ["a/b", "a_b"],
    ["a\\b.png", "a_b.png"],
    ["evil\u0000.png", "evil.png"],
    ["gnp.\u202Eexe", "gnp.exe"],
    ["...hidden", "hidden"],
    ["", "file"],
    ["///", "file"],
    ["résumé 2026.pdf", "re_sume_2026.pdf"],
  ])("sanitises %j", (name, expected) => {
    const s = sanitizeFilename(name);
    expect(s).not.toMatch(/[/\\\u0000-\u001f\u202a-\u202e]/);
    expect(s.startsWith(".")).toBe(false);
    if (expected !== "re_sume_2026.pdf") expect(s).toBe(expected);
  });

  it("shortens long names and keeps the extension", () => {
    const s = sanitizeFilename("a".repeat(300) + ".pdf");
    expect(s.length).toBeLessThanOrEqual(120);
    expect(s.endsWith(".pdf")).toBe(true);
  });

  it("keeps every key under its owner's prefix, and owners apart", () => {
    for (const name of ["../../etc/passwd", "a/../../b", "\\..\\x", "%2e%2e/x"]) {
      const key = newUploadKey("alice", name);
      expect(key).toMatch(/^uploads\/alice\/[0-9a-f]{32}\/[A-Za-z0-9._-]+$/);
      expect(key.split("/")).toHaveLength(4);
      expect(isOwnedBy(parseUploadKey(key)!, "alice")).toBe(true);
      expect(isOwnedBy(parseUploadKey(key)!, "alic")).toBe(false);
    }
    expect(ownerPrefix("../x")).toBe("uploads/~2E~2E~2Fx/");
    expect(ownerPrefix("a b")).not.toBe(ownerPrefix("a_b"));
  });
});

describe("the key shape check (property-based)", () => {
  const objectPath = (key: string) =>
    new URL(objectUrl({ endpoint: "https://s3.example", bucket: "b", accessKeyId: "a", secretAccessKey: "s", region: "auto" }, key))
      .pathname;

  it("every key the server makes parses, and is owned by its maker only", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 128, unit: "grapheme" }),
        fc.string({ maxLength: 400, unit: "binary" }),
        (sub, filename) => {
          const key = newUploadKey(sub, filename);
          const parsed = parseUploadKey(key);
          if (key.length > 1024) return parsed === null;
          return parsed !== null && isOwnedBy(parsed, sub) && !isOwnedBy(parsed, `${sub}x`);
        },
      ),
      { seed: 20261204, numRuns: 500 },
    );
  });

  it("a key that parses is exactly the key the presigned URL names: no normalisation changes it", () => {
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "%2e%2e", "", "a.png", "~2F", "0123456789abcdef0123456789abcdef"),
      fc.string({ maxLength: 40 }),
    );
    const candidate = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => ["uploads", ...s].join("/")),
      fc.string({ maxLength: 200 }),
      fc.tuple(segment, segment).map(([a, b]) => `uploads/alice/0123456789abcdef0123456789abcdef/${a}/${b}`),
    );
    fc.assert(
      fc.property(candidate, (key) => {
        const parsed = parseUploadKey(key);
        if (parsed === null) return true;
        return objectPath(key) === `/b/${key}` && !key.split("/").some((s) => s === "." || s === ".." || s.startsWith("."));
      }),
      { seed: 20261204, numRuns: 2000 },
    );
  });

  it("refuses long keys and dot segments quickly", () => {
    const id = "0123456789abcdef0123456789abcdef";
    expect(parseUploadKey(`uploads/alice/${id}/a.png`)).not.toBeNull();
    for (const bad of [
      "x".repeat(3000),
      `uploads/alice/${id}/../../bob/${id}/a.png`,
      `uploads/alice/${id}/..`,
      `uploads/alice/${id}/.env`,
      `uploads/~2e~2e/${id}/a.png`,
      `uploads/alice/${id}/a%2F.png`,
    ]) {
      expect(parseUploadKey(bad), bad).toBeNull();
    }
  });
});

describe("multipart part layout", () => {
  const MiB = 1024 * 1024;
  const GiB = 1024 * MiB;
  const layout = (size: number) => {
    const partSize = partSizeFor(size);
    return { partSize, partCount: partCountFor(size, partSize) };
  };

  it.each([
    [1, 5 * MiB, 1],
    [12 * MiB + 1, 5 * MiB, 3],
    [64 * MiB, 5 * MiB, 13],
    [500 * MiB, 5 * MiB, 100],
    [500 * MiB + 1, 6 * MiB, 84],
    [GiB, 11 * MiB, 94],
    [5 * GiB, 52 * MiB, 99],
    [500 * GiB, 5 * GiB, 100],
    [500 * GiB + 1, 5 * GiB, 101],
    [5 * 1024 * GiB, 5 * GiB, 1024],
  ])("size %i: parts of %i bytes, %i of them", (size, partSize, partCount) => {
    expect(layout(size)).toEqual({ partSize, partCount });
    let total = 0;
    for (let n = 1; n <= partCount; n++) total += partLength({ size, partSize, partNumber: n });
    expect(total).toBe(size);
    expect(partLength({ size, partSize, partNumber: partCount })).toBeGreaterThan(0);
  });

  it("any size up to the default 5 GiB: whole-MiB parts of at least 5 MiB, at most 100 of them, the smallest such size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 * GiB }), (size) => {
        const { partSize, partCount } = layout(size);
        return (
          partSize >= 5 * MiB &&
          partSize % MiB === 0 &&
          partCount <= 100 &&
          (partCount - 1) * partSize < size &&
          size <= partCount * partSize &&
          // One MiB less would need more than 100 parts (or go under the 5 MiB minimum).
          (partSize === 5 * MiB || partCountFor(size, partSize - MiB) > 100)
        );
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it("UPLOAD_MULTIPART_MAX_BYTES is capped at the store's 5 TiB object limit", () => {
    const max = (v?: string) => resolveConfig({ UPLOAD_MULTIPART_MAX_BYTES: v } as Env).uploads.multipartMaxBytes;
    expect(MAX_OBJECT_BYTES).toBe(5 * 1024 * GiB);
    expect(max()).toBe(5 * GiB);
    expect(max(String(64 * MiB))).toBe(64 * MiB);
    expect(max(String(5 * 1024 * GiB))).toBe(5 * 1024 * GiB);
    expect(max(String(50 * 1024 * GiB))).toBe(5 * 1024 * GiB);
  });

  it("any size up to the store's 5 TiB: parts of 5 MiB to 5 GiB, at most 100 up to 500 GiB, within the store's 10 000", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 * 1024 * GiB }), (size) => {
        const { partSize, partCount } = layout(size);
        return (
          partSize >= 5 * MiB &&
          partSize <= 5 * GiB &&
          partSize % MiB === 0 &&
          partCount <= 10000 &&
          (size > 500 * GiB || partCount <= 100) &&
          (partCount - 1) * partSize < size &&
          size <= partCount * partSize
        );
      }),
      { seed: 8, numRuns: 2000 },
    );
  });
});
