/** POST /api/dev/token: development only. */
import { describe, expect, it } from "vitest";
import { problem, token, useWorker } from "./harness";

describe("in development, signing with the checkout's DEV_SECRET (no AUTH_SECRET)", () => {
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

  it("a token signed with the DEV_SECRET is refused once AUTH_SECRET is set", async () => {
    const jwt = await token("mallory", { secret: w.devSecret() });
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

  // Every method, with and without a CORS Origin, against a path no route serves: same status,
  // same headers (but the request id), same body (but the path it names).
  it.each(["/api/dev/token", "/api/dev-s3/routeflare-uploads/uploads/alice/x/a.png"])(
    "%s answers every method exactly as an unknown path does",
    async (path) => {
      const unknown = "/api/no-such/route-anywhere";
      const shape = async (res: Response, p: string) => {
        const headers = [...res.headers].filter(([n]) => !["x-request-id", "server-timing", "date", "content-length"].includes(n)); // the length differs with the path
        const text = await res.text();
        return { status: res.status, headers, body: text.replace(/"requestId":"[^"]*"/, "").replaceAll(p, "<path>") };
      };
      for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        for (const extra of [{} as Record<string, string>, { origin: "http://localhost:8787", "access-control-request-method": "POST" }]) {
          const init = { method, headers: extra };
          const dev = await shape(await w.fetch(path, init), path);
          const none = await shape(await w.fetch(unknown, init), unknown);
          expect({ method, ...dev }).toEqual({ method, ...none });
          expect(dev.status).toBe(404);
        }
      }
    },
  );

  it("a token signed with DEV_SECRET is refused: it is ignored outside development", async () => {
    const jwt = await token("mallory", { secret: w.devSecret() });
    const res = await w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(401);
  });
});
