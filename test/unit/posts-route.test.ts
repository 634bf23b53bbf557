/** The posts route handlers called directly inside workerd (as Next.js calls them), on real local D1. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import * as postsRoute from "@/app/api/posts/route";
import * as postRoute from "@/app/api/posts/[id]/route";
import { mintToken } from "@/lib/auth/mint";
import { countRows } from "../rows";
import { callRoute } from "./call-route";

const auth = async (sub: string) => ({
  authorization: `Bearer ${await mintToken({ secret: env.DEV_SECRET, sub })}`,
});

describe("posts route handlers", () => {
  it("create, read with ETag/304, list, delete", async () => {
    const created = await callRoute(
      postsRoute.POST,
      new Request("https://api.test/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json", ...(await auth("u1")) },
        body: '{"title":"Hi","content":"there","published":true}',
      }),
    );
    expect(created.status).toBe(201);
    const post = (await created.json()) as { id: string };
    const row = await env.DB.prepare("SELECT title, author_id FROM posts WHERE id = ?").bind(post.id).first();
    expect(row).toEqual({ title: "Hi", author_id: "u1" });

    const got = await callRoute(postRoute.GET, new Request(`https://api.test/api/posts/${post.id}`), { id: post.id });
    expect(got.status).toBe(200);
    const again = await callRoute(
      postRoute.GET,
      new Request(`https://api.test/api/posts/${post.id}`, { headers: { "if-none-match": got.headers.get("etag")! } }),
      { id: post.id },
    );
    expect(again.status).toBe(304);

    const list = await callRoute(postsRoute.GET, new Request("https://api.test/api/posts?limit=5"));
    expect(((await list.json()) as { posts: unknown[] }).posts).toHaveLength(1);

    const del = await callRoute(
      postRoute.DELETE,
      new Request(`https://api.test/api/posts/${post.id}`, { method: "DELETE", headers: await auth("u1") }),
      { id: post.id },
    );
    expect(del.status).toBe(204);
    expect(await countRows(env.DB, "posts")).toBe(0);
  });

  it("a 400 for bad input writes nothing and carries the request id", async () => {
    const res = await callRoute(
      postsRoute.POST,
      new Request("https://api.test/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "rid-1", ...(await auth("u1")) },
        body: '{"title":""}',
      }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toBe("rid-1");
    const body = (await res.json()) as { requestId: string; errors: Record<string, string[]> };
    expect(body.requestId).toBe("rid-1");
    expect(Object.keys(body.errors).sort()).toEqual(["content", "title"]);
    expect(await countRows(env.DB, "posts")).toBe(0);
  });

  it("an If-Match with no entity tag in it (empty, or only commas and spaces) matches nothing: 412, nothing written", async () => {
    const created = await callRoute(
      postsRoute.POST,
      new Request("https://api.test/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json", ...(await auth("u1")) },
        body: '{"title":"Hi","content":"there"}',
      }),
    );
    const { id } = (await created.json()) as { id: string };
    for (const ifMatch of ["", " ", ",", " , ,"]) {
      const headers = { "content-type": "application/json", "if-match": ifMatch, ...(await auth("u1")) };
      const put = await callRoute(
        postRoute.PUT,
        new Request(`https://api.test/api/posts/${id}`, { method: "PUT", headers, body: '{"title":"X","content":"Y","published":true}' }),
        { id },
      );
      const patch = await callRoute(
        postRoute.PATCH,
        new Request(`https://api.test/api/posts/${id}`, { method: "PATCH", headers, body: '{"title":"X"}' }),
        { id },
      );
      const del = await callRoute(postRoute.DELETE, new Request(`https://api.test/api/posts/${id}`, { method: "DELETE", headers }), { id });
      expect([put.status, patch.status, del.status]).toEqual([412, 412, 412]);
    }
    expect(await env.DB.prepare("SELECT title, version FROM posts WHERE id = ?").bind(id).first()).toEqual({ title: "Hi", version: 1 });
  });
});
