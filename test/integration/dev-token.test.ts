/** POST /api/dev/token: development only. */
import { describe, expect, it } from "vitest";
import { DEV_AUTH_SECRET } from "@/lib/config";
import { problem, token, useWorker } from "./harness";

describe("in development, signing with the built-in dev secret (no AUTH_SECRET)", () => {
  const w = useWorker({ devSecret: true });

  it("issues a working token, for demo-user or a given sub", async () => {
    const res = await w.fetch("/api/dev/token", { method: "POST" });
    expect(res.status).toBe(201);
    const { token, sub } = (await res.json()) as { token: string; sub: string };
    expect(sub).toBe("demo-user");
    const drafts = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${token}` } });
    expect(drafts.status).toBe(200);

    const named = await w.fetch("/api/dev/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"sub":"carol"}',
    });
    expect(((await named.json()) as { sub: string }).sub).toBe("carol");
  });

  it("400 for a prototype-named key, naming it", async () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await w.fetch("/api/dev/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"sub":"carol",${JSON.stringify(key)}:1}`,
      });
      expect(res.status).toBe(400);
      expect((await problem(res)).errors).toHaveProperty([key]);
    }
  });

  it("400 for a bad sub", async () => {
    const res = await w.fetch("/api/dev/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"sub":"../x y"}',
    });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty("sub");
  });
});

describe("in development with a real AUTH_SECRET set", () => {
  // The harness sets AUTH_SECRET: the route would mint tokens valid for that real secret.
  const w = useWorker();

  it("does not exist: no HTTP endpoint hands out tokens for a real secret", async () => {
    for (const init of [{ method: "POST" }, { method: "POST", headers: { "content-type": "application/json" }, body: '{"sub":"alice"}' }]) {
      const res = await w.fetch("/api/dev/token", init);
      expect(res.status).toBe(404);
      await problem(res);
    }
  });

  it("a token signed with the public dev secret is refused", async () => {
    const jwt = await token("mallory", { secret: DEV_AUTH_SECRET });
    const res = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(401);
  });
});

describe("in production", () => {
  const w = useWorker({ vars: { ENVIRONMENT: "production" } });

  it("does not exist", async () => {
    const res = await w.fetch("/api/dev/token", { method: "POST" });
    expect(res.status).toBe(404);
    await problem(res);
  });

  it("a token signed with the public dev secret is refused", async () => {
    const jwt = await token("mallory", { secret: DEV_AUTH_SECRET });
    const res = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(401);
  });
});
