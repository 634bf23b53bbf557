/**
 * Which errors are storage outages (503 + Retry-After) and which are not (500): D1's documented
 * transient errors on one side; real errors from local D1 (constraint, missing table) on the other.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isStorageUnavailable } from "@/lib/http/storage-errors";
import { createDb } from "@/lib/db/client";
import { posts } from "@/lib/db/schema";

async function thrownBy(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

describe("isStorageUnavailable", () => {
  it.each([
    "D1_ERROR: Network connection lost.",
    "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
    "D1_ERROR: D1 DB reset because its code was updated.",
    "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
    "D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.",
    "get: We encountered an internal error. Please try again. (10001)",
    "put: Service unavailable. (10043)",
  ])("transient: %s", (message) => {
    expect(isStorageUnavailable(new Error(message))).toBe(true);
    // drizzle wraps the driver's error: the cause chain is searched.
    expect(isStorageUnavailable(new Error("Failed query: insert ...", { cause: new Error(message) }))).toBe(true);
  });

  it("an error the runtime flags retryable", () => {
    expect(isStorageUnavailable(Object.assign(new Error("Durable Object reset"), { retryable: true }))).toBe(true);
  });

  it.each([
    "D1_ERROR: UNIQUE constraint failed: posts.id: SQLITE_CONSTRAINT",
    "D1_ERROR: no such table: posts: SQLITE_ERROR",
    "storage quota of this test",
    "R2 bucket says no",
    "put: The specified key is too long. (10012)",
  ])("not an outage: %s", (message) => {
    expect(isStorageUnavailable(new Error(message))).toBe(false);
  });

  it("real local D1 errors: a UNIQUE violation and a missing table are not outages", async () => {
    const db = createDb(env.DB);
    const row = { id: "p1", title: "t", content: "c", published: true, authorId: "a", createdAt: 1, updatedAt: 1, version: 1 };
    await db.insert(posts).values(row);
    expect(isStorageUnavailable(await thrownBy(() => db.insert(posts).values(row)))).toBe(false);
    expect(isStorageUnavailable(await thrownBy(() => env.DB.prepare("SELECT * FROM no_such_table").all()))).toBe(false);
  });

  it("non-errors are not outages", () => {
    expect(isStorageUnavailable("Network connection lost")).toBe(false);
    expect(isStorageUnavailable(undefined)).toBe(false);
  });
});
