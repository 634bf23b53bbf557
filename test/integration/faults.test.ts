/**
 * Faults injected into the running Worker (not mocks of the code under test): D1 failing in the
 * middle of a multi-statement write. The development-only switch FAULT_D1_BATCH_STATEMENT makes
 * the real local D1 run each batch with one statement that fails at run time, so D1 itself
 * rolls back what ran before it; the Worker sees D1's "Network connection lost" (lib/faults/d1.ts).
 */
import { describe, expect, it } from "vitest";
import { countRows } from "../rows";
import { bearer, problem, useWorker } from "./harness";

const createWithKey = async (w: ReturnType<typeof useWorker>, key: string) =>
  w.fetch("/api/posts", {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key, ...(await bearer("alice")) },
    body: '{"title":"a","content":"b"}',
  });

describe("D1 fails at the last statement of a multi-statement write", () => {
  // The idempotent create is one batch: [forget an expired key, insert the post, insert the key].
  // Failing statement 3 means the post insert really ran inside the transaction first.
  const w = useWorker({ vars: { FAULT_D1_BATCH_STATEMENT: "3" } });

  it("503 + Retry-After, nothing partial kept, the failure logged with the request id", async () => {
    const res = await createWithKey(w, "k-1");
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const p = await problem(res);
    expect(p.type).toBe("/problems/storage-unavailable");
    expect(JSON.stringify(p)).not.toMatch(/D1_ERROR|SQL|FAULT|at .*\(/);
    expect(await countRows(w, "posts")).toBe(0);
    expect(await countRows(w, "idempotency_keys")).toBe(0);
    await expect
      .poll(() => w.logs().find((l) => l.includes(p.requestId) && l.includes('"level":"error"')))
      .toSatisfy((line?: string) => line !== undefined && JSON.parse(line).userId === "alice" && JSON.parse(line).path === "/api/posts");
  });

  it("single-statement writes are untouched (the fault is only in batches)", async () => {
    const res = await w.fetch("/api/posts", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await bearer("alice")) },
      body: '{"title":"a","content":"b"}',
    });
    expect(res.status).toBe(201);
    expect(await countRows(w, "posts")).toBe(1);
  });
});

describe("the fault switch outside development", () => {
  const w = useWorker({ vars: { ENVIRONMENT: "production", FAULT_D1_BATCH_STATEMENT: "1" } });

  it("is ignored: the same write succeeds", async () => {
    const res = await createWithKey(w, "k-prod");
    expect(res.status).toBe(201);
    expect(await countRows(w, "posts")).toBe(1);
    expect(await countRows(w, "idempotency_keys")).toBe(1);
  });
});

/** A published post written straight into D1 (no D1 fault applies to the test's own access). */
async function seedPost(w: ReturnType<typeof useWorker>) {
  const res = await w.fetch("/api/posts", {
    method: "POST",
    headers: { "content-type": "application/json", ...(await bearer("alice")) },
    body: '{"title":"kept","content":"b","published":true}',
  });
  return res;
}

const retries = (w: ReturnType<typeof useWorker>) => w.logs().filter((l) => l.includes("read failed transiently; retrying once")).length;

describe("a read whose first D1 call fails transiently (FAULT_D1_FAILURES=1)", () => {
  const w = useWorker({ vars: { FAULT_D1_FAILURES: "1" } });

  it("is retried once inside the Worker and answers 200; a write is never retried (503, nothing written)", async () => {
    // The create's first D1 call fails: a write is answered 503 at once, and nothing is kept.
    const refused = await seedPost(w);
    expect(refused.status).toBe(503);
    expect((await problem(refused)).type).toBe("/problems/storage-unavailable");
    expect(await countRows(w, "posts")).toBe(0);
    expect(retries(w)).toBe(0);

    await (
      await w.env()
    ).DB.prepare(
      "INSERT INTO posts (id, author_id, title, content, published, created_at, updated_at, version) VALUES ('01JAAAAAAAAAAAAAAAAAAAAAAA', 'alice', 'kept', 'b', 1, 1, 1, 1)",
    ).run();
    for (const path of ["/api/posts/01JAAAAAAAAAAAAAAAAAAAAAAA", "/api/posts"]) {
      w.clearLogs();
      const res = await w.fetch(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await expect.poll(() => retries(w)).toBe(1);
    }
    const head = await w.fetch("/api/posts/01JAAAAAAAAAAAAAAAAAAAAAAA", { method: "HEAD" });
    expect(head.status).toBe(200);
  });
});

describe("a read whose first two D1 calls fail (FAULT_D1_FAILURES=2)", () => {
  const w = useWorker({ vars: { FAULT_D1_FAILURES: "2" } });

  it("is retried exactly once, then answers 503 + Retry-After", async () => {
    const res = await w.fetch("/api/posts/01JAAAAAAAAAAAAAAAAAAAAAAA");
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await problem(res)).type).toBe("/problems/storage-unavailable");
    await expect.poll(() => retries(w)).toBe(1);
  });
});

describe("D1 unavailable (FAULT_D1=unavailable)", () => {
  const w = useWorker({ vars: { FAULT_D1: "unavailable" } });

  it("reads and writes answer 503 + Retry-After, health says db error", async () => {
    for (const res of [await w.fetch("/api/posts/01JAAAAAAAAAAAAAAAAAAAAAAA"), await w.fetch("/api/posts"), await seedPost(w)]) {
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      await problem(res);
    }
    const health = await w.fetch("/api/health");
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ db: "error" });
  });
});
