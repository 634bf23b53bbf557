/** The posts route handlers called directly inside workerd (as Next.js calls them), on real local D1. */
import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import * as postsRoute from "@/app/api/posts/route";
import * as postRoute from "@/app/api/posts/[id]/route";
import { DEV_AUTH_SECRET } from "@/lib/config";

const auth = async (sub: string) => ({
  authorization: `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setExpirationTime("1h").sign(new TextEncoder().encode(DEV_AUTH_SECRET))}`,
});
const noParams = { params: Promise.resolve({}) };

describe("posts route handlers", () => {
  it("create, read with ETag/304, list, delete", async () => {
    const created = await postsRoute.POST(
      new Request("https://api.test/api/posts", { method: "POST", headers: { "content-type": "application/json", ...(await auth("u1")) }, body: '{"title":"Hi","content":"there","published":true}' }),
      noParams,
    );
    expect(created.status).toBe(201);
    const post = (await created.json()) as { id: string };
    const row = await env.DB.prepare("SELECT title, author_id FROM posts WHERE id = ?").bind(post.id).first();
    expect(row).toEqual({ title: "Hi", author_id: "u1" });

    const got = await postRoute.GET(new Request(`https://api.test/api/posts/${post.id}`), { params: Promise.resolve({ id: post.id }) });
    expect(got.status).toBe(200);
    const again = await postRoute.GET(new Request(`https://api.test/api/posts/${post.id}`, { headers: { "if-none-match": got.headers.get("etag")! } }), {
      params: Promise.resolve({ id: post.id }),
    });
    expect(again.status).toBe(304);

    const list = await postsRoute.GET(new Request("https://api.test/api/posts?limit=5"), noParams);
    expect(((await list.json()) as { posts: unknown[] }).posts).toHaveLength(1);

    const del = await postRoute.DELETE(new Request(`https://api.test/api/posts/${post.id}`, { method: "DELETE", headers: await auth("u1") }), {
      params: Promise.resolve({ id: post.id }),
    });
    expect(del.status).toBe(204);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM posts").first()).toEqual({ n: 0 });
  });

  it("a 400 for bad input writes nothing and carries the request id", async () => {
    const res = await postsRoute.POST(
      new Request("https://api.test/api/posts", { method: "POST", headers: { "content-type": "application/json", "x-request-id": "rid-1", ...(await auth("u1")) }, body: '{"title":""}' }),
      noParams,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("x-request-id")).toBe("rid-1");
    const body = (await res.json()) as { requestId: string; errors: Record<string, string[]> };
    expect(body.requestId).toBe("rid-1");
    expect(Object.keys(body.errors).sort()).toEqual(["content", "title"]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM posts").first()).toEqual({ n: 0 });
  });

  it("an If-Match with no entity tag in it (empty, or only commas and spaces) matches nothing: 412, nothing written", async () => {
    const created = await postsRoute.POST(
      new Request("https://api.test/api/posts", { method: "POST", headers: { "content-type": "application/json", ...(await auth("u1")) }, body: '{"title":"Hi","content":"there"}' }),
      noParams,
    );
    const { id } = (await created.json()) as { id: string };
    const params = { params: Promise.resolve({ id }) };
    for (const ifMatch of ["", " ", ",", " , ,"]) {
      const headers = { "content-type": "application/json", "if-match": ifMatch, ...(await auth("u1")) };
      const put = await postRoute.PUT(new Request(`https://api.test/api/posts/${id}`, { method: "PUT", headers, body: '{"title":"X","content":"Y","published":true}' }), params);
      const patch = await postRoute.PATCH(new Request(`https://api.test/api/posts/${id}`, { method: "PATCH", headers, body: '{"title":"X"}' }), params);
      const del = await postRoute.DELETE(new Request(`https://api.test/api/posts/${id}`, { method: "DELETE", headers }), params);
      expect([put.status, patch.status, del.status]).toEqual([412, 412, 412]);
    }
    expect(await env.DB.prepare("SELECT title, version FROM posts WHERE id = ?").bind(id).first()).toEqual({ title: "Hi", version: 1 });
  });
});
