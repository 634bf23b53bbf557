/**
 * GET /api/uploads/limits: what this deployment accepts, without a token, and exactly the limits
 * POST /api/uploads and POST /api/uploads/multipart enforce (this Worker runs with its own).
 */
import { describe, expect, it } from "vitest";
import { bearer, problem, useWorker } from "./harness";

const w = useWorker({
  wipeEachTest: false,
  vars: { UPLOAD_ALLOWED_TYPES: "text/plain,image/png", UPLOAD_MAX_BYTES: "3000000", UPLOAD_MULTIPART_MAX_BYTES: "50000000" },
});

const declare = async (path: string, contentType: string, size: number) =>
  w.fetch(path, {
    method: "POST",
    headers: { ...(await bearer("alice")), "content-type": "application/json" },
    body: JSON.stringify({ filename: "a.txt", contentType, size }),
  });

describe("GET /api/uploads/limits", () => {
  it("answers this deployment's types and sizes, to anyone", async () => {
    const res = await w.fetch("/api/uploads/limits");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ allowedTypes: ["text/plain", "image/png"], maxBytes: 3_000_000, multipartMaxBytes: 50_000_000 });
  });

  it("states the limits the upload routes enforce", async () => {
    const { allowedTypes, maxBytes, multipartMaxBytes } = (await (await w.fetch("/api/uploads/limits")).json()) as {
      allowedTypes: string[];
      maxBytes: number;
      multipartMaxBytes: number;
    };
    expect((await declare("/api/uploads", allowedTypes[1]!, maxBytes)).status).toBe(201);
    expect((await problem(await declare("/api/uploads", allowedTypes[0]!, maxBytes + 1))).errors).toHaveProperty("size");
    expect((await problem(await declare("/api/uploads", "application/pdf", 10))).errors).toHaveProperty("contentType");
    expect((await declare("/api/uploads/multipart", allowedTypes[0]!, multipartMaxBytes)).status).toBe(201);
    expect((await declare("/api/uploads/multipart", allowedTypes[0]!, multipartMaxBytes + 1)).status).toBe(400);
  });

  it("is a GET-only route: another method is a 405 with Allow", async () => {
    const res = await w.fetch("/api/uploads/limits", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("GET");
    await res.arrayBuffer();
  });
});
