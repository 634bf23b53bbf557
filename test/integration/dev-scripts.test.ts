/**
 * The developer scripts the README shows, run as the README runs them (node scripts/…, PORT set)
 * against the built Worker holding this checkout's development secrets, as `npm start` does:
 * `npm run seed`, `npm run webhook -- <sender>`, `npm run cron`.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { localSecrets } from "../../scripts/dev-secrets.mjs";
import { useWorker } from "./harness";
import { count, rows } from "./webhooks-fixtures";

const root = join(import.meta.dirname, "..", "..");
const w = useWorker({ devSecret: true, vars: () => localSecrets(root) });

/** Runs scripts/<name>.mjs against the harness's port; resolves with its output and exit code. */
async function script(name: string, ...args: string[]) {
  const env = { ...process.env, PORT: w.url().port };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(root, "scripts", `${name}.mjs`), ...args], {
      cwd: root,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run seed", () => {
  it("creates posts by two users and prints tokens that work for them", async () => {
    const run = await script("seed");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const authors = await rows<{ author_id: string; n: number; drafts: number }>(
      w,
      "SELECT author_id, count(*) AS n, sum(published = 0) AS drafts FROM posts GROUP BY author_id ORDER BY author_id",
    );
    expect(authors).toEqual([
      { author_id: "alice", n: 3, drafts: 1 },
      { author_id: "bob", n: 2, drafts: 0 },
    ]);

    const alice = /^export ALICE_TOKEN=(\S+)$/m.exec(run.stdout)?.[1];
    expect(alice).toBeDefined();
    const mine = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${alice}` } });
    expect(mine.status).toBe(200);
    const { posts } = (await mine.json()) as { posts: { authorId: string; published: boolean }[] };
    expect(posts.map((p) => [p.authorId, p.published])).toEqual([["alice", false]]);
    expect(/^export BOB_TOKEN=\S+$/m.test(run.stdout)).toBe(true);
  });

  it("says how to start a server when none answers", async () => {
    const env = { ...process.env, PORT: "1" };
    const failed = await promisify(execFile)(process.execPath, [join(root, "scripts", "seed.mjs")], { cwd: root, env }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining("npm start") });
  });
});

describe("npm run webhook", () => {
  it("stripe: a signed checkout.session.completed is accepted and creates its order", async () => {
    const run = await script("webhook", "stripe");
    expect(run.stdout).toContain("POST /api/webhooks/stripe → 200");
    expect(run.code).toBe(0);
    const orders = await rows<{ id: string; amount_total: number; status: string }>(w, "SELECT id, amount_total, status FROM orders");
    expect(orders).toEqual([{ id: expect.stringMatching(/^cs_local_/), amount_total: 2500, status: "fulfilled" }]);
  });

  it("stripe with an event type: a subscription event upserts the subscription", async () => {
    const run = await script("webhook", "stripe", "customer.subscription.created");
    expect(run.stdout).toContain("→ 200");
    expect(await count(w, "subscriptions")).toBe(1);
  });

  it.each([
    ["standard", "user.created"],
    ["github", "push"],
  ])("%s: a signed delivery is accepted and recorded", async (sender, type) => {
    const run = await script("webhook", sender);
    expect(run.stdout).toContain(`POST /api/webhooks/${sender} → 200`);
    expect(run.code).toBe(0);
    expect(await rows(w, "SELECT source, type FROM webhook_events")).toEqual([{ source: sender, type }]);
  });

  it("an unknown sender prints the usage and sends nothing", async () => {
    const run = await script("webhook", "paypal");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Usage: npm run webhook -- <stripe|standard|github>");
    expect(await count(w, "webhook_events")).toBe(0);
  });
});

describe("npm run cron", () => {
  it("runs the daily maintenance on the local server (an expired idempotency record is pruned)", async () => {
    const { DB } = await w.env();
    await DB.prepare(
      "INSERT INTO idempotency_keys (user_id, key, request_hash, status, post_id, response_body, created_at) VALUES ('alice', 'old', 'h', 201, 'p', '{}', ?)",
    )
      .bind(Date.now() - 3 * 86_400_000)
      .run();
    const run = await script("cron");
    expect(run.stdout).toContain('scheduled "17 3 * * *": ok');
    expect(run.code).toBe(0);
    expect(await count(w, "idempotency_keys")).toBe(0);
  });
});
