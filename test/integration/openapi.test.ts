/** GET /api/openapi.json: valid OpenAPI 3.1, generated from the zod schemas, covering every route. */
import { globSync } from "node:fs";
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { useWorker } from "./harness";

// Signing with DEV_SECRET (no AUTH_SECRET), as `npm start` does: the development-only routes the
// document lists exist, so their methods can be compared.
const w = useWorker({ devSecret: true });

/** app/api/**\/route.ts → OpenAPI path templates; the root catch-all is the 404 for everything else. */
function routesFromFiles(): string[] {
  return globSync("app/api/**/route.ts")
    .map((f) => "/" + f.split("/").slice(1, -1).join("/"))
    .filter((p) => p !== "/api/[...slug]")
    .map((p) => p.replace(/\[(?:\.\.\.)?([^\]]+)\]/g, "{$1}"))
    .sort();
}

async function doc() {
  return (await (await w.fetch("/api/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
}

describe("GET /api/openapi.json", () => {
  it("is cacheable JSON with an ETag and answers If-None-Match with 304", async () => {
    const res = await w.fetch("/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=\d+/);
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^".+"$/);
    const again = await w.fetch("/api/openapi.json", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("validates as OpenAPI 3.1", async () => {
    const d = await doc();
    expect(d.openapi).toMatch(/^3\.1\./);
    const result = await validate(structuredClone(d) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it("documents every route the app exports, with exactly the methods each route handles", async () => {
    const d = await doc();
    expect(Object.keys(d.paths).sort()).toEqual(routesFromFiles());
    for (const [path, ops] of Object.entries(d.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
      const res = await w.fetch(concrete, { method: "OPTIONS" });
      const allowed = res.headers
        .get("allow")!
        .split(", ")
        .filter((m) => m !== "HEAD" && m !== "OPTIONS")
        .map((m) => m.toLowerCase())
        .sort();
      expect(Object.keys(ops).sort(), path).toEqual(allowed);
    }
  });

  it("takes request schemas from the validating zod schemas", async () => {
    const d = (await doc()) as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<string, { schema: { properties: Record<string, { maxLength?: number }>; additionalProperties?: boolean } }>;
            };
          }
        >
      >;
    };
    const create = d.paths["/api/posts"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(create.properties.title!.maxLength).toBe(200);
    expect(create.properties.content!.maxLength).toBe(100000);
    expect(create.additionalProperties).toBe(false);
  });
});
