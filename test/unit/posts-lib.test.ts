import { describe, expect, it } from "vitest";
import { ifMatchFails, ifNoneMatchHits } from "@/lib/http/conditional";
import { HttpError } from "@/lib/core/problem";
import { requestIdFor } from "@/lib/http/request-id";
import { decodeCursor, encodeCursor } from "@/lib/posts/cursor";
import { isPostId, newPostId } from "@/lib/posts/ids";

describe("post ids", () => {
  it("are 26-char ULIDs that sort by creation time", () => {
    const a = newPostId(1_000);
    const b = newPostId(2_000);
    expect(isPostId(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(isPostId("'; drop table posts")).toBe(false);
    expect(isPostId(a.toLowerCase())).toBe(false);
  });
});

describe("cursors", () => {
  const pos = { scope: "published", createdAt: 1700000000000, id: newPostId() };

  it("round-trip and are bound to their scope and secret", async () => {
    const c = await encodeCursor(pos, "s1");
    expect(await decodeCursor(c, "published", "s1")).toEqual(pos);
    await expect(decodeCursor(c, "drafts:alice", "s1")).rejects.toBeInstanceOf(HttpError);
    await expect(decodeCursor(c, "published", "s2")).rejects.toBeInstanceOf(HttpError);
  });

  it("reject any altered byte", async () => {
    const c = await encodeCursor(pos, "s1");
    for (let i = 0; i < c.length; i++) {
      if (c[i] === ".") continue;
      const altered = c.slice(0, i) + (c[i] === "A" ? "B" : "A") + c.slice(i + 1);
      await expect(decodeCursor(altered, "published", "s1")).rejects.toMatchObject({ status: 400 });
    }
  });
});

describe("conditional requests", () => {
  it("If-None-Match compares weakly and honours *", () => {
    expect(ifNoneMatchHits('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits("*", '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchHits(null, '"a"')).toBe(false);
  });

  it("If-Match compares strongly", () => {
    expect(ifMatchFails(null, '"a"')).toBe(false);
    expect(ifMatchFails('"a"', '"a"')).toBe(false);
    expect(ifMatchFails("*", '"a"')).toBe(false);
    expect(ifMatchFails('W/"a"', '"a"')).toBe(true);
    expect(ifMatchFails('"b"', '"a"')).toBe(true);
  });
});

describe("request ids", () => {
  it("echo well-formed ids only", () => {
    const r = (id?: string) => new Request("https://x", { headers: id === undefined ? {} : { "x-request-id": id } });
    expect(requestIdFor(r("abc-1.2:3_4"))).toBe("abc-1.2:3_4");
    expect(requestIdFor(r("x".repeat(128)))).toBe("x".repeat(128));
    expect(requestIdFor(r("x".repeat(129)))).not.toBe("x".repeat(129));
    expect(requestIdFor(r("a b"))).not.toBe("a b");
    expect(requestIdFor(r())).toMatch(/^[0-9a-f-]{36}$/);
  });
});
