/**
 * The same route handlers served through OpenNext's full Next.js pipeline (lean path off):
 * they are real Next.js Route Handlers, and every HTTP rule holds either way.
 */
import { describe, expect, it } from "vitest";
import { bearer, problem, useWorker } from "./harness";

const w = useWorker({ vars: { ROUTEFLARE_LEAN_PATH: "false" } });

describe("through OpenNext (ROUTEFLARE_LEAN_PATH=false)", () => {
  it("serves health, posts and problems with the same headers as the lean path", async () => {
    const health = await w.fetch("/api/health", { headers: { "x-request-id": "via-next-1" } });
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBe("via-next-1");
    expect(health.headers.get("cache-control")).toBe("no-store");

    const created = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":"Via Next","content":"c","published":true}',
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const got = await w.fetch(`/api/posts/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe(created.headers.get("etag"));

    const invalid = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":""}',
    });
    expect(invalid.status).toBe(400);
    await problem(invalid);
    const missing = await w.fetch("/api/nope");
    expect(missing.status).toBe(404);
    await problem(missing);
  });

  it("serves the cached routes with this request's headers too", async () => {
    const doc = await w.fetch("/api/openapi.json", { headers: { "x-request-id": "via-next-doc", origin: "http://localhost:3000" } });
    expect(doc.status).toBe(200);
    expect(doc.headers.get("x-nextjs-cache")).toBe("HIT");
    expect(doc.headers.get("x-request-id")).toBe("via-next-doc");
    expect(doc.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const stats = await w.fetch("/api/stats");
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ publishedPosts: 0 });
  });

  it("streams SSE frames incrementally through Next too", async () => {
    const res = await w.fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"message":"hi"}',
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const arrivals: number[] = [];
    const t0 = performance.now();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      arrivals.push(performance.now() - t0);
    }
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    // Many separate chunks spread over time, not one buffered body.
    expect(arrivals.length).toBeGreaterThan(5);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(200);
  });
});
