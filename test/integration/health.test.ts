import { describe, expect, it } from "vitest";
import { useWorker, wipe } from "./harness";

const w = useWorker();

describe("GET /api/health", () => {
  it("answers ok with db ok, never cached", async () => {
    const res = await w.fetch("/api/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok", db: "ok" });
  });

  it("answers 503 with db error when D1 cannot serve the schema", async () => {
    await wipe(await w.env()); // drops every table, the migrations record included
    const res = await w.fetch("/api/health");
    expect(res.status).toBe(503);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(await res.json()).toEqual({ status: "error", db: "error" });
    expect(w.logs().join("\n")).toMatch(/"level":"error".*health check/);
  });

  it("HEAD answers like GET without a body", async () => {
    const res = await w.fetch("/api/health", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});
