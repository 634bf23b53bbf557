/** Global reads from D1 read replicas: every request runs in a D1 session; bookmarks go out and come back. */
import { describe, expect, it } from "vitest";
import { bearer, useWorker } from "./harness";

const w = useWorker();
const BOOKMARK = /^[A-Za-z0-9-]{1,256}$/;

describe("x-d1-bookmark", () => {
  it("is returned on reads and writes, and a read carrying a write's bookmark sees that write", async () => {
    const list = await w.fetch("/api/posts");
    expect(list.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);

    const created = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":"Fresh","content":"write","published":true}',
    });
    expect(created.status).toBe(201);
    const bookmark = created.headers.get("x-d1-bookmark")!;
    expect(bookmark).toMatch(BOOKMARK);
    const { id } = (await created.json()) as { id: string };

    const read = await w.fetch(`/api/posts/${id}`, { headers: { "x-d1-bookmark": bookmark } });
    expect(read.status).toBe(200);
    // Bookmarks only move forward within a session.
    expect(read.headers.get("x-d1-bookmark")! >= bookmark).toBe(true);
    const page = (await (await w.fetch("/api/posts", { headers: { "x-d1-bookmark": bookmark } })).json()) as { posts: { id: string }[] };
    expect(page.posts.map((p) => p.id)).toContain(id);
  });

  it("a malformed bookmark is ignored rather than failing the request", async () => {
    const res = await w.fetch("/api/posts", { headers: { "x-d1-bookmark": "not a bookmark; drop table" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
  });

  it("is exposed to browsers through CORS", async () => {
    const res = await w.fetch("/api/health", { headers: { origin: "http://localhost:3000" } });
    expect(res.headers.get("access-control-expose-headers")).toContain("x-d1-bookmark");
    expect(res.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
  });
});
