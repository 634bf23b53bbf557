/** Bearer JWTs, HS256 with AUTH_SECRET or RS256/ES256 from a JWKS, on the built Worker. */
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRows } from "../rows";
import { problem, token, useWorker } from "./harness";

// A JWKS served from the test on loopback, as an OIDC provider would.
const keys: JWK[] = [];
let rsa: CryptoKey;
let ec: CryptoKey;
let otherRsa: CryptoKey;
let jwksServer: Server;
let jwksUrl = "";
let jwksHits = 0;
/** A loopback port nothing listens on: an identity provider that is down. */
let deadJwksUrl = "";

beforeAll(async () => {
  const a = await generateKeyPair("RS256");
  const b = await generateKeyPair("ES256");
  otherRsa = (await generateKeyPair("RS256")).privateKey;
  rsa = a.privateKey;
  ec = b.privateKey;
  keys.push({ ...(await exportJWK(a.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" });
  keys.push({ ...(await exportJWK(b.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" });
  jwksServer = createServer((req, res) => {
    jwksHits++;
    if (req.url === "/broken") res.writeHead(500, { "content-type": "text/plain" }).end("upstream trouble");
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
  const addr = jwksServer.address() as { port: number };
  jwksUrl = `http://127.0.0.1:${addr.port}/.well-known/jwks.json`;
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
  deadJwksUrl = `http://127.0.0.1:${(dead.address() as { port: number }).port}/.well-known/jwks.json`;
  await new Promise<void>((r) => dead.close(() => r()));
}, 30_000);
afterAll(() => new Promise<void>((r) => jwksServer.close(() => r())));

const draftsAs = (w: ReturnType<typeof useWorker>, jwt: string) =>
  w.fetch("/api/posts?drafts=true", { headers: { authorization: `Bearer ${jwt}` } });

describe("HS256 with AUTH_SECRET", () => {
  const w = useWorker();
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts a valid token; the caller is its sub", async () => {
    const res = await draftsAs(w, await token("alice"));
    expect(res.status).toBe(200);
  });

  it("401 without a token: WWW-Authenticate: Bearer, no error code", async () => {
    const res = await w.fetch("/api/posts?drafts=true");
    expect(res.status).toBe(401);
    const challenge = res.headers.get("www-authenticate")!;
    expect(challenge).toMatch(/^Bearer\b/);
    expect(challenge).not.toContain("error=");
    await problem(res);
  });

  it("another auth scheme counts as no bearer token", async () => {
    const res = await w.fetch("/api/posts?drafts=true", { headers: { authorization: "Basic YWxpY2U6c2VjcmV0" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).not.toContain("error=");
  });

  it.each([
    ["garbage", async () => "not-a-jwt"],
    ["an empty token", async () => ""],
    ["a wrong secret", () => token("alice", { secret: "a-different-secret-0123456789abcdef" })],
    ["expired beyond the 30 s leeway", () => token("alice", { expiresIn: now() - 31 })],
    ["nbf beyond the 30 s leeway", () => token("alice", { notBefore: now() + 60 })],
    [
      "no sub",
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode("integration-test-secret-0123456789abcdef")),
    ],
    [
      "no exp (a correct signature does not make a token valid forever)",
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setSubject("alice")
          .setIssuedAt()
          .sign(new TextEncoder().encode("integration-test-secret-0123456789abcdef")),
    ],
    ["an empty sub", () => token("")],
    ["a 129-char sub", () => token("s".repeat(129))],
    [
      "alg none",
      async () =>
        `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(`{"sub":"alice","exp":${now() + 600}}`).toString("base64url")}.`,
    ],
    [
      "HS512",
      () =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS512" })
          .setSubject("alice")
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode("integration-test-secret-0123456789abcdef".repeat(2))),
    ],
  ])("401 invalid_token for %s", async (_n, make) => {
    const res = await draftsAs(w, await make());
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    const p = await problem(res);
    expect(p.detail).toBeTruthy();
  });

  it("accepts exp and nbf within the 30 s leeway, and a 128-char sub", async () => {
    expect((await draftsAs(w, await token("alice", { expiresIn: now() - 20 }))).status).toBe(200);
    expect((await draftsAs(w, await token("alice", { notBefore: now() + 20 }))).status).toBe(200);
    expect((await draftsAs(w, await token("s".repeat(128)))).status).toBe(200);
  });

  it("RS256 tokens are refused when no JWKS is configured", async () => {
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setSubject("alice")
      .setExpirationTime("1h")
      .sign(rsa);
    expect((await draftsAs(w, jwt)).status).toBe(401);
  });
});

describe("AUTH_ISSUER and AUTH_AUDIENCE", () => {
  const w = useWorker({ vars: { AUTH_ISSUER: "https://issuer.example", AUTH_AUDIENCE: "routeflare" } });

  it("must match when set", async () => {
    expect((await draftsAs(w, await token("alice", { issuer: "https://issuer.example", audience: "routeflare" }))).status).toBe(200);
    for (const opts of [
      {},
      { issuer: "https://evil.example", audience: "routeflare" },
      { issuer: "https://issuer.example", audience: "other" },
    ]) {
      const res = await draftsAs(w, await token("alice", opts));
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });
});

const ISSUER = "https://idp.example/";
const AUDIENCE = "routeflare-api";
const rs256 = (key: CryptoKey, opts: { sub?: string; aud?: string; exp?: boolean } = {}) => {
  let jwt = new SignJWT({})
    .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
    .setSubject(opts.sub ?? "rs-user")
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? AUDIENCE);
  if (opts.exp !== false) jwt = jwt.setExpirationTime("1h");
  return jwt.sign(key);
};

describe("RS256 / ES256 from AUTH_JWKS_URL (loopback http: allowed in development only)", () => {
  const w = useWorker({ vars: () => ({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }) });

  it("accepts RS256 and ES256 tokens signed by the JWKS keys, fetching the JWKS once", async () => {
    const hitsBefore = jwksHits;
    const r = await rs256(rsa);
    const e = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "ec-1" })
      .setSubject("ec-user")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("1h")
      .sign(ec);
    const first = await draftsAs(w, r);
    expect(first.status, await first.clone().text()).toBe(200);
    expect((await draftsAs(w, e)).status).toBe(200);
    expect((await draftsAs(w, r)).status).toBe(200);
    expect(jwksHits - hitsBefore).toBe(1);
  });

  it("refuses a token signed by a key outside the JWKS, and HS256 still works beside it", async () => {
    const forged = await rs256(otherRsa, { sub: "alice" });
    const res = await draftsAs(w, forged);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect((await draftsAs(w, await token("alice", { issuer: ISSUER, audience: AUDIENCE }))).status).toBe(200);
  });

  it("refuses a token the same provider issued for another application (audience), and one without exp", async () => {
    for (const jwt of [await rs256(rsa, { aud: "some-other-app" }), await rs256(rsa, { exp: false })]) {
      const res = await draftsAs(w, jwt);
      expect(res.status).toBe(401);
      expect((await problem(res)).type).toBe("/problems/invalid-token");
    }
  });
});

describe("an incomplete JWKS configuration: 503 naming the missing setting, until it is set", () => {
  const cases = [
    { name: "no AUTH_ISSUER", vars: () => ({ AUTH_JWKS_URL: jwksUrl, AUTH_AUDIENCE: AUDIENCE }), names: "AUTH_ISSUER" },
    { name: "no AUTH_AUDIENCE", vars: () => ({ AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER }), names: "AUTH_AUDIENCE" },
    {
      name: "an http:// JWKS URL outside development",
      vars: () => ({ ENVIRONMENT: "production", AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }),
      names: "https",
    },
  ];
  for (const c of cases) {
    describe(c.name, () => {
      const w = useWorker({ vars: c.vars });

      it("authenticated requests (with a token, or needing one) get 503; anonymous reads still work; no JWKS is fetched", async () => {
        const hitsBefore = jwksHits;
        const withToken = await draftsAs(w, await rs256(rsa));
        const hs = await draftsAs(w, await token("alice", { issuer: ISSUER, audience: AUDIENCE }));
        const none = await w.fetch("/api/posts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"title":"a","content":"b"}',
        });
        for (const res of [withToken, hs, none]) {
          expect(res.status).toBe(503);
          const p = await problem(res);
          expect(p.type).toBe("/problems/auth-not-configured");
          expect(p.detail).toContain(c.names);
        }
        expect((await w.fetch("/api/posts")).status).toBe(200);
        expect(jwksHits).toBe(hitsBefore);
        expect(await countRows(w, "posts")).toBe(0);
      });
    });
  }
});

describe("the identity provider's JWKS is unreachable", () => {
  describe("connection refused", () => {
    const w = useWorker({ vars: () => ({ AUTH_JWKS_URL: deadJwksUrl, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }) });

    it("a valid token gets 503 + Retry-After (not 401), logged; HS256 tokens still work", async () => {
      const res = await draftsAs(w, await rs256(rsa));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(res.headers.get("www-authenticate")).toBeNull();
      const p = await problem(res);
      expect(p.type).toBe("/problems/auth-unavailable");
      await expect.poll(() => w.logs().some((l) => l.includes(p.requestId) && l.includes('"level":"error"'))).toBe(true);
      expect((await draftsAs(w, await token("alice", { issuer: ISSUER, audience: AUDIENCE }))).status).toBe(200);
    });
  });

  describe("answering 500", () => {
    const w = useWorker({
      vars: () => ({ AUTH_JWKS_URL: jwksUrl.replace("/.well-known/jwks.json", "/broken"), AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE }),
    });

    it("503 + Retry-After, and no write happens", async () => {
      const res = await w.fetch("/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await rs256(rsa)}` },
        body: '{"title":"a","content":"b"}',
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect((await problem(res)).type).toBe("/problems/auth-unavailable");
      expect(await countRows(w, "posts")).toBe(0);
    });
  });
});
