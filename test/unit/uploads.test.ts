import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { verifyPresignedRequest } from "@/lib/uploads/dev-s3";
import { isOwnedBy, newUploadKey, ownerPrefix, parseUploadKey, sanitizeFilename } from "@/lib/uploads/keys";
import fc from "fast-check";
import { partCountFor, partLength, partSizeFor } from "@/lib/uploads/multipart";
import { objectUrl, presign } from "@/lib/uploads/presign";

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
  it.each([
    [1, 5 * 1024 * 1024, 1],
    [12 * 1024 * 1024 + 1, 5 * 1024 * 1024, 3],
    [5 * 1024 ** 3, 1024 * 1024 * 1, 0],
  ])("size %i", (size, minPart, _n) => {
    const partSize = partSizeFor(size);
    const count = partCountFor(size, partSize);
    expect(partSize).toBeGreaterThanOrEqual(minPart);
    expect(partSize % (1024 * 1024)).toBe(0);
    expect(count).toBeLessThanOrEqual(10000);
    let total = 0;
    for (let n = 1; n <= count; n++) total += partLength({ size, partSize, partNumber: n });
    expect(total).toBe(size);
    expect(partLength({ size, partSize, partNumber: count })).toBeGreaterThan(0);
  });

  it("any size up to 5 TiB fits in 10 000 equal parts of at least 5 MiB", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 * 1024 ** 4 }), (size) => {
        const partSize = partSizeFor(size);
        const count = partCountFor(size, partSize);
        return partSize >= 5 * 1024 * 1024 && count <= 10000 && (count - 1) * partSize < size && count * partSize >= size;
      }),
      { seed: 7, numRuns: 1000 },
    );
  });
});
