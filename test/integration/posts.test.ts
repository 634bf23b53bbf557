import { describe, expect, it } from "vitest";
import { newPostId } from "@/lib/posts/ids";
import { countRows } from "../rows";
import { bearer, problem, token, useWorker, type WorkerEnv } from "./harness";

const w = useWorker();

interface Post {
  id: string;
  title: string;
  content: string;
  published: boolean;
  authorId: string;
  createdAt: string;
  updatedAt: string;
}
interface Page {
  posts: Post[];
  limit: number;
  nextCursor: string | null;
  page?: number;
}

const jsonHeaders = async (sub: string, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  ...(await bearer(sub)),
  ...extra,
});

async function create(sub: string, body: Record<string, unknown>, extra: Record<string, string> = {}) {
  return w.fetch("/api/posts", { method: "POST", headers: await jsonHeaders(sub, extra), body: JSON.stringify(body) });
}

async function createOk(sub: string, body: Record<string, unknown>) {
  const res = await create(sub, body);
  expect(res.status).toBe(201);
  return (await res.json()) as Post;
}

const countPosts = (env?: WorkerEnv) => countRows(env?.DB ?? w, "posts");

/** Inserts rows straight into D1 (bypassing the API) with chosen timestamps. */
async function seed(n: number, opts: { published?: boolean; author?: string; sameTimeEvery?: number; start?: number } = {}) {
  const env = await w.env();
  const start = opts.start ?? Date.UTC(2026, 0, 1);
  const stmts = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    // Groups of posts share a created_at to exercise the id tie-break of the keyset.
    const t = start + (opts.sameTimeEvery ? Math.floor(i / opts.sameTimeEvery) : i) * 1000;
    const id = newPostId(t);
    ids.push(id);
    stmts.push(
      env.DB.prepare(
        "INSERT INTO posts (id, title, content, published, author_id, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
      ).bind(id, `Seeded ${i}`, "x".repeat(40), opts.published === false ? 0 : 1, opts.author ?? "seed-author", t, t),
    );
  }
  await env.DB.batch(stmts);
  return ids;
}

describe("POST /api/posts", () => {
  it("creates a post: 201, Location, ETag, the Post, published defaulting to false, title trimmed", async () => {
    const res = await create("alice", { title: "  Hello  ", content: "World" });
    expect(res.status).toBe(201);
    const post = (await res.json()) as Post;
    expect(post).toMatchObject({ title: "Hello", content: "World", published: false, authorId: "alice" });
    expect(res.headers.get("location")).toBe(`/api/posts/${post.id}`);
    expect(res.headers.get("etag")).toMatch(/^".+"$/);
    expect(new Date(post.createdAt).toISOString()).toBe(post.createdAt);
    expect(post.updatedAt).toBe(post.createdAt);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("401 without a token, 401 invalid_token with a bad one; nothing written", async () => {
    const none = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"title":"a","content":"b"}',
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.headers.get("www-authenticate")).not.toContain("invalid_token");
    await problem(none);

    const bad = await w.fetch("/api/posts", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await token("alice", { secret: "not-the-secret-at-all-0123456789" })}`,
      },
      body: '{"title":"a","content":"b"}',
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    await problem(bad);
    expect(await countPosts()).toBe(0);
  });

  it.each([
    ["missing title", { content: "c" }, ["title"]],
    ["blank title", { title: "   ", content: "c" }, ["title"]],
    ["title of 201 chars", { title: "t".repeat(201), content: "c" }, ["title"]],
    ["empty content", { title: "t", content: "" }, ["content"]],
    ["content over 100000 chars", { title: "t", content: "c".repeat(100001) }, ["content"]],
    ["wrong types", { title: 5, content: ["x"], published: "yes" }, ["title", "content", "published"]],
    ["unknown keys", { title: "t", content: "c", authorId: "mallory", extra: 1 }, ["authorId", "extra"]],
  ])("400 for %s, naming each bad field; nothing written", async (_name, body, fields) => {
    const res = await create("alice", body);
    expect(res.status).toBe(400);
    const p = await problem(res);
    expect(Object.keys(p.errors ?? {}).sort()).toEqual([...fields].sort());
    for (const messages of Object.values(p.errors ?? {})) expect(messages.length).toBeGreaterThan(0);
    expect(await countPosts()).toBe(0);
  });

  it("accepts the limits exactly: 200-char title, 100000-char content", async () => {
    const post = await createOk("alice", { title: "t".repeat(200), content: "c".repeat(100000), published: true });
    expect(post.title.length).toBe(200);
    expect(post.content.length).toBe(100000);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response for the same key and body, without a second post", async () => {
    const body = { title: "Once", content: "only", published: true };
    const first = await create("alice", body, { "idempotency-key": "key-1" });
    const second = await create("alice", body, { "idempotency-key": "key-1" });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    const a = (await first.json()) as Post;
    const b = (await second.json()) as Post;
    expect(b).toEqual(a);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await countPosts()).toBe(1);
  });

  it("422 for the same key with a different body; nothing written", async () => {
    await create("alice", { title: "A", content: "a" }, { "idempotency-key": "key-2" });
    const res = await create("alice", { title: "B", content: "b" }, { "idempotency-key": "key-2" });
    expect(res.status).toBe(422);
    await problem(res);
    expect(await countPosts()).toBe(1);
  });

  it("keys are per user", async () => {
    await createOk("alice", { title: "A", content: "a" });
    const a = await create("alice", { title: "A", content: "a" }, { "idempotency-key": "shared" });
    const b = await create("bob", { title: "A", content: "a" }, { "idempotency-key": "shared" });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(((await a.json()) as Post).id).not.toBe(((await b.json()) as Post).id);
  });

  it("20 concurrent requests with one key create exactly one post", async () => {
    const headers = await jsonHeaders("alice", { "idempotency-key": "race" });
    const body = JSON.stringify({ title: "Race", content: "once", published: true });
    const responses = await Promise.all(Array.from({ length: 20 }, () => w.fetch("/api/posts", { method: "POST", headers, body })));
    const ids = new Set<string>();
    for (const res of responses) {
      expect(res.status).toBe(201);
      ids.add(((await res.json()) as Post).id);
    }
    expect(ids.size).toBe(1);
    expect(await countPosts()).toBe(1);
  });

  it("400 for a key longer than 255 characters or empty; nothing written", async () => {
    for (const key of ["k".repeat(256), " "]) {
      const res = await create("alice", { title: "A", content: "a" }, { "idempotency-key": key });
      expect(res.status).toBe(400);
      await problem(res);
    }
    expect(await countPosts()).toBe(0);
  });

  it("a key expires after 24 hours", async () => {
    const body = { title: "Old", content: "key" };
    const first = (await (await create("alice", body, { "idempotency-key": "old" })).json()) as Post;
    const env = await w.env();
    await env.DB.prepare("UPDATE idempotency_keys SET created_at = created_at - 86400001").run();
    const again = (await (await create("alice", body, { "idempotency-key": "old" })).json()) as Post;
    expect(again.id).not.toBe(first.id);
    expect(await countPosts()).toBe(2);
  });
});

describe("GET /api/posts/<id>", () => {
  it("serves a published post to anyone with ETag, public revalidation and 304 on If-None-Match", async () => {
    const post = await createOk("alice", { title: "Pub", content: "lic", published: true });
    const res = await w.fetch(`/api/posts/${post.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(post);
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^".+"$/);
    expect(res.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");

    const cached = await w.fetch(`/api/posts/${post.id}`, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");
    expect(cached.headers.get("etag")).toBe(etag);

    const weak = await w.fetch(`/api/posts/${post.id}`, { headers: { "if-none-match": `"other", W/${etag}` } });
    expect(weak.status).toBe(304);
    const stale = await w.fetch(`/api/posts/${post.id}`, { headers: { "if-none-match": '"stale"' } });
    expect(stale.status).toBe(200);
  });

  it("a draft is 404 for anonymous callers and other users, 200 private no-store for its author", async () => {
    const draft = await createOk("alice", { title: "Draft", content: "secret" });
    const anon = await w.fetch(`/api/posts/${draft.id}`);
    expect(anon.status).toBe(404);
    const anonBody = await problem(anon);
    const other = await w.fetch(`/api/posts/${draft.id}`, { headers: await bearer("bob") });
    expect(other.status).toBe(404);
    const otherBody = await problem(other);
    // Indistinguishable from a post that does not exist.
    const missing = await problem(await w.fetch(`/api/posts/${newPostId()}`));
    expect([anonBody.detail, otherBody.detail]).toEqual([missing.detail, missing.detail]);

    const own = await w.fetch(`/api/posts/${draft.id}`, { headers: await bearer("alice") });
    expect(own.status).toBe(200);
    expect(own.headers.get("cache-control")).toBe("private, no-store");
  });

  it("ids of any shape are 404, never 500", async () => {
    for (const id of ["'; drop table posts;--", "x".repeat(10_000), "😀ünï", "..", "%00", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "a b"]) {
      const res = await w.fetch(`/api/posts/${encodeURIComponent(id)}`);
      expect([400, 404]).toContain(res.status);
      await problem(res);
    }
    expect(await countPosts()).toBe(0);
    expect((await w.fetch("/api/health")).status).toBe(200);
  });
});

describe("GET /api/posts", () => {
  it("lists published posts newest first with limit default 20 and a cursor", async () => {
    await seed(25);
    await seed(3, { published: false, author: "alice", start: Date.UTC(2027, 0, 1) });
    const res = await w.fetch("/api/posts");
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    expect(page.limit).toBe(20);
    expect(page.posts).toHaveLength(20);
    expect(page.posts.every((p) => p.published)).toBe(true);
    const times = page.posts.map((p) => p.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(page).not.toHaveProperty("page");
    // Lists change with every write: never stored, so a client never sees one stale.
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("walking every page returns every published post exactly once, ties broken by id", async () => {
    const ids = await seed(45, { sameTimeEvery: 4 });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await w.fetch(`/api/posts?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      seen.push(...page.posts.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(45);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it("walking with the cursor while posts are inserted concurrently still returns every post exactly once", async () => {
    const ids = await seed(60, { start: Date.UTC(2025, 0, 1) });
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      // A writer adds posts between page reads (they are newer, so before the cursor).
      const writes = Array.from({ length: 3 }, () => createOk("writer", { title: `New ${inserted++}`, content: "c", published: true }));
      const [res] = await Promise.all([w.fetch(`/api/posts?limit=9${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`), ...writes]);
      const page = (await res!.json()) as Page;
      seen.push(...page.posts.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    for (const id of ids) expect(seen).toContain(id); // none of the original posts skipped
  });

  it("offset paging with page=N returns that slice and echoes page", async () => {
    await seed(12);
    const all = ((await (await w.fetch("/api/posts?limit=100")).json()) as Page).posts.map((p) => p.id);
    const res = await w.fetch("/api/posts?limit=5&page=2");
    const page = (await res.json()) as Page;
    expect(page.page).toBe(2);
    expect(page.posts.map((p) => p.id)).toEqual(all.slice(5, 10));
    const last = (await (await w.fetch("/api/posts?limit=5&page=3")).json()) as Page;
    expect(last.posts.map((p) => p.id)).toEqual(all.slice(10));
    expect(last.nextCursor).toBeNull();
  });

  it.each(["limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=-1", "limit=", "page=0", "page=x", "drafts=yes", "cursor="])(
    "400 for %s",
    async (qs) => {
      const res = await w.fetch(`/api/posts?${qs}`);
      expect(res.status).toBe(400);
      const p = await problem(res);
      expect(Object.keys(p.errors ?? {}).length).toBeGreaterThan(0);
    },
  );

  it("400 for page together with cursor", async () => {
    await seed(3);
    const { nextCursor } = (await (await w.fetch("/api/posts?limit=1")).json()) as Page;
    const res = await w.fetch(`/api/posts?page=1&cursor=${encodeURIComponent(nextCursor!)}`);
    expect(res.status).toBe(400);
    await problem(res);
  });

  it("400, never 500, for garbage, altered or hand-made cursors", async () => {
    await seed(5);
    const { nextCursor } = (await (await w.fetch("/api/posts?limit=2")).json()) as Page;
    const [payload, sig] = nextCursor!.split(".");
    const forged = Buffer.from(JSON.stringify(["published", 9e15, "ZZZZZZZZZZZZZZZZZZZZZZZZZZ"])).toString("base64url");
    const flipped = sig!.slice(0, -2) + (sig!.endsWith("A") ? "BA" : "AA");
    for (const cursor of ["garbage", "a.b.c", `${forged}.${sig}`, `${payload}.${flipped}`, `${payload}`, "%%%", "..", "😀.😀"]) {
      const res = await w.fetch(`/api/posts?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      await problem(res);
    }
  });

  it("drafts=true needs auth, lists only the caller's drafts, and its cursor is bound to that list", async () => {
    await seed(4, { published: false, author: "alice" });
    await seed(2, { published: false, author: "bob" });
    await seed(3);
    const anon = await w.fetch("/api/posts?drafts=true");
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer/);

    const res = await w.fetch("/api/posts?drafts=true&limit=3", { headers: await bearer("alice") });
    const page = (await res.json()) as Page;
    expect(page.posts).toHaveLength(3);
    expect(page.posts.every((p) => p.authorId === "alice" && !p.published)).toBe(true);

    // Alice's drafts cursor is not valid for Bob's drafts or for the public list.
    const asBob = await w.fetch(`/api/posts?drafts=true&cursor=${encodeURIComponent(page.nextCursor!)}`, { headers: await bearer("bob") });
    expect(asBob.status).toBe(400);
    const asPublic = await w.fetch(`/api/posts?cursor=${encodeURIComponent(page.nextCursor!)}`);
    expect(asPublic.status).toBe(400);
  });

  it("an invalid token is a 401 even where auth is optional", async () => {
    const res = await w.fetch("/api/posts", { headers: { authorization: "Bearer not.a.jwt" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

describe("PUT / PATCH / DELETE /api/posts/<id>", () => {
  it("PUT replaces all fields; PATCH changes some; each bumps the ETag", async () => {
    const post = await createOk("alice", { title: "T", content: "C" });
    const put = await w.fetch(`/api/posts/${post.id}`, {
      method: "PUT",
      headers: await jsonHeaders("alice"),
      body: JSON.stringify({ title: "T2", content: "C2", published: true }),
    });
    expect(put.status).toBe(200);
    const replaced = (await put.json()) as Post;
    expect(replaced).toMatchObject({ id: post.id, title: "T2", content: "C2", published: true, createdAt: post.createdAt });
    const patch = await w.fetch(`/api/posts/${post.id}`, {
      method: "PATCH",
      headers: await jsonHeaders("alice"),
      body: JSON.stringify({ content: "C3" }),
    });
    expect(patch.status).toBe(200);
    expect(await patch.json()).toMatchObject({ title: "T2", content: "C3", published: true });
    expect(patch.headers.get("etag")).not.toBe(put.headers.get("etag"));
  });

  it("PUT without every field and PATCH without any field are 400; nothing written", async () => {
    const post = await createOk("alice", { title: "T", content: "C" });
    const put = await w.fetch(`/api/posts/${post.id}`, {
      method: "PUT",
      headers: await jsonHeaders("alice"),
      body: JSON.stringify({ title: "X", content: "Y" }),
    });
    expect(put.status).toBe(400);
    expect((await problem(put)).errors).toHaveProperty("published");
    const patch = await w.fetch(`/api/posts/${post.id}`, { method: "PATCH", headers: await jsonHeaders("alice"), body: "{}" });
    expect(patch.status).toBe(400);
    await problem(patch);
    const patchUnknown = await w.fetch(`/api/posts/${post.id}`, {
      method: "PATCH",
      headers: await jsonHeaders("alice"),
      body: '{"authorId":"bob"}',
    });
    expect(patchUnknown.status).toBe(400);
    const row = await (await w.env()).DB.prepare("SELECT title, content, author_id AS a, version FROM posts").first();
    expect(row).toEqual({ title: "T", content: "C", a: "alice", version: 1 });
  });

  it("another user's published post: 403 on every write; their draft: 404; nothing written", async () => {
    const pub = await createOk("alice", { title: "P", content: "p", published: true });
    const draft = await createOk("alice", { title: "D", content: "d" });
    for (const [method, body] of [
      ["PUT", { title: "x", content: "y", published: false }],
      ["PATCH", { title: "x" }],
      ["DELETE", undefined],
    ] as const) {
      const headers = await jsonHeaders("bob");
      const a = await w.fetch(`/api/posts/${pub.id}`, { method, headers, body: body && JSON.stringify(body) });
      expect(a.status, method).toBe(403);
      await problem(a);
      const b = await w.fetch(`/api/posts/${draft.id}`, { method, headers, body: body && JSON.stringify(body) });
      expect(b.status, method).toBe(404);
      await problem(b);
    }
    const rows = await (await w.env()).DB.prepare("SELECT title, version FROM posts ORDER BY title").all();
    expect(rows.results).toEqual([
      { title: "D", version: 1 },
      { title: "P", version: 1 },
    ]);
  });

  it("writes need a token and a post that exists", async () => {
    const post = await createOk("alice", { title: "T", content: "C" });
    const res = await w.fetch(`/api/posts/${post.id}`, { method: "DELETE" });
    expect(res.status).toBe(401);
    const missing = await w.fetch(`/api/posts/${newPostId()}`, {
      method: "PATCH",
      headers: await jsonHeaders("alice"),
      body: '{"title":"x"}',
    });
    expect(missing.status).toBe(404);
  });

  it("If-Match that does not match is 412 and writes nothing; a matching one succeeds", async () => {
    const created = await create("alice", { title: "T", content: "C" });
    const post = (await created.json()) as Post;
    const etag = created.headers.get("etag")!;
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const res = await w.fetch(`/api/posts/${post.id}`, {
        method,
        headers: await jsonHeaders("alice", { "if-match": '"stale"' }),
        body: method === "DELETE" ? undefined : JSON.stringify({ title: "x", content: "y", published: true }),
      });
      expect(res.status, method).toBe(412);
      await problem(res);
    }
    expect(await (await w.env()).DB.prepare("SELECT title, version FROM posts").first()).toEqual({ title: "T", version: 1 });
    const weak = await w.fetch(`/api/posts/${post.id}`, {
      method: "PATCH",
      headers: await jsonHeaders("alice", { "if-match": `W/${etag}` }),
      body: '{"title":"x"}',
    });
    expect(weak.status).toBe(412);
    const ok = await w.fetch(`/api/posts/${post.id}`, {
      method: "PATCH",
      headers: await jsonHeaders("alice", { "if-match": etag }),
      body: '{"title":"New"}',
    });
    expect(ok.status).toBe(200);
    const del = await w.fetch(`/api/posts/${post.id}`, {
      method: "DELETE",
      headers: await jsonHeaders("alice", { "if-match": ok.headers.get("etag")! }),
    });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe("");
    expect((await w.fetch(`/api/posts/${post.id}`, { headers: await bearer("alice") })).status).toBe(404);
  });

  it("If-Match race: of concurrent writers holding one ETag, exactly one wins", async () => {
    const created = await create("alice", { title: "T", content: "C" });
    const post = (await created.json()) as Post;
    const headers = await jsonHeaders("alice", { "if-match": created.headers.get("etag")! });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        w.fetch(`/api/posts/${post.id}`, { method: "PATCH", headers, body: JSON.stringify({ title: `W${i}` }) }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(7);
    expect((await (await w.env()).DB.prepare("SELECT version FROM posts").first<{ version: number }>())!.version).toBe(2);
  });
});
