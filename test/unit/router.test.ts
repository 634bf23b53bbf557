import { describe, expect, it } from "vitest";
import { createRouter, type ApiRouteModule } from "@/worker/router";

const mod = (name: string) => ({ name }) as unknown as ApiRouteModule;
const router = createRouter(
  [
    { pattern: "/api/[...slug]", module: mod("catchAll") },
    { pattern: "/api/posts/[id]", module: mod("post") },
    { pattern: "/api/posts", module: mod("posts") },
    { pattern: "/api/uploads/complete", module: mod("complete") },
    { pattern: "/api/uploads/[...key]", module: mod("download") },
    { pattern: "/api/health", module: mod("health") },
  ],
  ["/api/stats"],
);
const name = (path: string) => (router.match(path)?.module as unknown as { name: string } | undefined)?.name ?? null;

describe("lean-path router", () => {
  it("prefers static segments, then params, then catch-alls, like Next.js", () => {
    expect(name("/api/posts")).toBe("posts");
    expect(name("/api/posts/abc")).toBe("post");
    expect(name("/api/uploads/complete")).toBe("complete");
    expect(name("/api/uploads/a/b/c.txt")).toBe("download");
    expect(name("/api/posts/abc/def")).toBe("catchAll");
    expect(name("/api/nope")).toBe("catchAll");
  });

  it("decodes params and keeps catch-all segments as an array", () => {
    expect(router.match("/api/posts/a%20b")?.params).toEqual({ id: "a b" });
    expect(router.match("/api/uploads/u%2Fx/y")?.params).toEqual({ key: ["u/x", "y"] });
    expect(router.match("/api/posts/%E0%A4%A")?.params).toEqual({ id: "%E0%A4%A" });
  });

  it("answers /api itself and trailing slashes from the API, not Next", () => {
    expect(name("/api")).toBe("catchAll");
    expect(name("/api/")).toBe("catchAll");
    expect(name("/api/health/")).toBe("health");
  });

  it("leaves non-API paths and Next-only routes to OpenNext", () => {
    expect(router.match("/")).toBeNull();
    expect(router.match("/apix")).toBeNull();
    expect(router.match("/uploads")).toBeNull();
    expect(router.match("/api/stats")).toBeNull();
  });

  it("names the routes served from Next's cache (trailing slash too), and only those", () => {
    expect(router.cached("/api/stats")).toBe(true);
    expect(router.cached("/api/stats/")).toBe(true);
    expect(router.cached("/api/posts")).toBe(false);
    expect(router.cached("/api/stats/x")).toBe(false);
    expect(router.cached("/")).toBe(false);
  });
});
