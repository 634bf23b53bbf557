// The yardstick: the same read endpoints a user could write in plain Hono on Workers.
import { Hono } from "hono";
import { cors } from "hono/cors";
import { etag } from "hono/etag";

type Env = { Bindings: { DB: D1Database } };
const app = new Hono<Env>();
app.use("/api/*", cors({ origin: ["http://localhost:3000"] }));
app.use("/api/posts/*", etag());

app.get("/api/hello", (c) => c.json({ message: "Hello, world!" }));

app.get("/api/posts", async (c) => {
  const limit = Math.min(Math.max(Number(c.req.query("limit") ?? 20) || 20, 1), 100);
  const { results } = await c.env.DB.prepare(
    "SELECT id, title, content, published, author_id AS authorId, created_at AS createdAt, updated_at AS updatedAt FROM posts WHERE published = 1 ORDER BY created_at DESC, id DESC LIMIT ?",
  )
    .bind(limit)
    .all();
  return c.json({ posts: results, limit, nextCursor: null });
});

app.get("/api/posts/:id", async (c) => {
  const row = await c.env.DB.prepare(
    "SELECT id, title, content, published, author_id AS authorId, created_at AS createdAt, updated_at AS updatedAt FROM posts WHERE id = ?",
  )
    .bind(c.req.param("id"))
    .first();
  if (!row) return c.json({ title: "Not Found", status: 404 }, 404);
  return c.json(row);
});

app.post("/api/seed", async (c) => {
  const n = Number(c.req.query("n") ?? 100);
  const now = Date.now();
  const stmts = [];
  for (let i = 0; i < n; i++) {
    stmts.push(
      c.env.DB.prepare("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, 1, 'bench', ?, ?)").bind(
        `p${String(i).padStart(6, "0")}`,
        `Post ${i}`,
        "x".repeat(400),
        now - i,
        now - i,
      ),
    );
  }
  await c.env.DB.batch(stmts);
  return c.json({ seeded: n });
});

export default app;
