/** POST /api/dev/token: development only. */
import { describe, expect, it } from "vitest";
import { DEV_AUTH_SECRET } from "@/lib/config";
import { problem, token, useWorker } from "./harness";

describe("in development", () => {
  const w = useWorker();

  it("issues a working token, for demo-user or a given sub", async () => {
    const res = await w.fetch("/api/dev/token", { method: "POST" });
    expect(res.status).toBe(201);
    const { token, sub } = (await res.json()) as { token: string; sub: string };
    expect(sub).toBe("demo-user");
    const drafts = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${token}` } });
    expect(drafts.status).toBe(200);

    const named = await w.fetch("/api/dev/token", { method: "POST", headers: { "content-type": "application/json" }, body: '{"sub":"carol"}' });
    expect(((await named.json()) as { sub: string }).sub).toBe("carol");
  });

  it("400 for a bad sub", async () => {
    const res = await w.fetch("/api/dev/token", { method: "POST", headers: { "content-type": "application/json" }, body: '{"sub":"../x y"}' });
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty("sub");
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
