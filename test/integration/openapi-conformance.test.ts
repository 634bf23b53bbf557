/**
 * The OpenAPI document and the server agree: a request built from the document's own
 * constraints is accepted, and one that breaks exactly one of them is refused with a 400
 * problem (and writes nothing). Values are drawn by fast-check with a fixed seed.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { problem, token, useWorker, type Harness } from "./harness";
import {
  bodyCases,
  jsonBody,
  needsAuth,
  operationsOf,
  outside,
  type OpenApiDoc,
  type OperationDoc,
  type Parameter,
  type Schema,
} from "./openapi-model";

const SEED = 20261204;
const RUNS = 12;
const STRIPE = "whsec_conformance_stripe";
const STANDARD_KEY = Buffer.from("conformance-standard-secret-32b!");
const GITHUB = "conformance-github-secret";

// No AUTH_SECRET: the Worker signs with its DEV_SECRET, which is also the only setting in which the
// dev token route exists; tokens here are signed with that secret.
const w = useWorker({
  wipeEachTest: false,
  vars: { CHAT_LOCAL_DELAY_MS: "1" },
  secrets: {
    AUTH_SECRET: "",
    STRIPE_WEBHOOK_SECRET: STRIPE,
    STANDARD_WEBHOOK_SECRET: `whsec_${STANDARD_KEY.toString("base64")}`,
    GITHUB_WEBHOOK_SECRET: GITHUB,
  },
});

const bearer = async (sub: string) => `Bearer ${await token(sub, { secret: w.devSecret() })}`;

let doc: OpenApiDoc;
let ops: OperationDoc[];
let alice: string;
let postId: string;
beforeAll(async () => {
  doc = (await (await w.fetch("/api/openapi.json")).json()) as OpenApiDoc;
  ops = operationsOf(doc);
  alice = await bearer("alice");
  const res = await w.fetch("/api/posts", {
    method: "POST",
    headers: { authorization: alice, "content-type": "application/json" },
    body: JSON.stringify({ title: "t", content: "c" }),
  });
  expect(res.status).toBe(201);
  postId = ((await res.json()) as { id: string }).id;
});

const op = (method: string, path: string) => ops.find((o) => o.method === method && o.path === path)!;
const params = (o: OperationDoc, where: Parameter["in"]) => o.parameters.filter((p) => p.in === where);

/** Rows in every application table and objects in the bucket: a refused request must leave all of them as they were. */
let countSql: string | undefined;
async function tableCounts(h: Harness) {
  const env = await h.env();
  if (!countSql) {
    const { results } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
    ).all<{ name: string }>();
    countSql = `SELECT ${results.map(({ name }) => `(SELECT count(*) FROM "${name}") AS "${name}"`).join(", ")}`;
  }
  const counts = (await env.DB.prepare(countSql).first<Record<string, number>>())!;
  counts["r2:BUCKET"] = (await env.BUCKET.list()).objects.length;
  return counts;
}

/** Where to send an operation with a JSON body, with what it needs besides the body. */
function target(o: OperationDoc) {
  return {
    url: o.path.replace("{id}", postId),
    headers: { "content-type": "application/json", ...(needsAuth(o) ? { authorization: alice } : {}) },
  };
}

/** Header values for the operation's documented header parameters (unique Idempotency-Keys). */
let sequence = 0;
function headerValues(o: OperationDoc): fc.Arbitrary<Record<string, string>> {
  const entries = params(o, "header")
    .filter((p) => p.schema.pattern || p.schema.maxLength)
    .map((p) => [p.name, allowedStrings(p.schema)] as const);
  return fc.record(Object.fromEntries(entries)).map((h) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) out[k] = `${++sequence}-${v}`.slice(0, 255);
    return out;
  });
}
/** Strings the schema allows (the document's pattern, as fast-check reads it). */
function allowedStrings(s: Schema): fc.Arbitrary<string> {
  return fc
    .stringMatching(new RegExp(s.pattern ?? ".*"))
    .filter((v) => v.length >= (s.minLength ?? 0) && v.length <= (s.maxLength ?? Infinity) - 8);
}

describe("the document states the server's rules", () => {
  it("limit 1-100 and page 1-1000000 as integers; page and cursor exclusive; PATCH needs a field", () => {
    const list = op("GET", "/api/posts");
    const byName = Object.fromEntries(list.parameters.map((p) => [p.name, p]));
    expect(byName.limit!.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100, default: 20 });
    expect(byName.page!.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1_000_000 });
    expect(byName.page!.description).toMatch(/cursor \(400\)/);
    expect(byName.cursor!.description).toMatch(/page \(400\)/);
    expect(jsonBody(op("PATCH", "/api/posts/{id}"))).toMatchObject({ minProperties: 1, additionalProperties: false });
  });

  it("Idempotency-Key has its pattern and length; the dev token's sub its pattern, and its body is optional", () => {
    const key = op("POST", "/api/posts").parameters.find((p) => p.name === "Idempotency-Key")!;
    expect(key.schema).toMatchObject({ type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]{1,255}$" });
    const dev = op("POST", "/api/dev/token");
    expect(dev.requestBody!.required).toBe(false);
    expect(jsonBody(dev)!.properties!.sub).toMatchObject({ pattern: "^[A-Za-z0-9._:@-]{1,128}$", default: "demo-user" });
  });

  it("uploads carry the default allowed types and maximum size", () => {
    const body = jsonBody(op("POST", "/api/uploads"))!;
    expect(body.properties!.contentType!.enum).toEqual([
      "image/png",
      "image/jpeg",
      "image/webp",
      "image/gif",
      "application/pdf",
      "text/plain",
    ]);
    expect(body.properties!.size).toMatchObject({ type: "integer", minimum: 1, maximum: 100 * 1024 * 1024 });
  });

  it("webhooks: signature and id headers are required, the payload is a JSON object", () => {
    const required = (path: string) =>
      op("POST", path)
        .parameters.filter((p) => p.required)
        .map((p) => p.name)
        .sort();
    expect(required("/api/webhooks/stripe")).toEqual(["Stripe-Signature"]);
    expect(required("/api/webhooks/standard")).toEqual(["webhook-id", "webhook-signature", "webhook-timestamp"]);
    expect(required("/api/webhooks/github")).toEqual(["X-GitHub-Delivery", "X-Hub-Signature-256"]);
    for (const path of ["/api/webhooks/stripe", "/api/webhooks/standard", "/api/webhooks/github"]) {
      expect(op("POST", path).requestBody!.content["application/json"]!.schema.type).toBe("object");
    }
  });

  it("every operation states its security (security: [] when none) and references the 405 problem", () => {
    for (const o of ops) {
      expect(Array.isArray(o.security), o.operationId).toBe(true);
      expect(o.responses["405"], o.operationId).toEqual({ $ref: "#/components/responses/Problem405" });
    }
    expect(op("GET", "/api/health").security).toEqual([]);
    expect(op("POST", "/api/posts").security).toEqual([{ bearer: [] }]);
  });
});

describe("query parameters", () => {
  const withQuery = () => ops.filter((o) => params(o, "query").length > 0);
  // Opaque tokens (a cursor is only valid as the server's own nextCursor) are not drawn from their schema.
  const drawn = (o: OperationDoc) => params(o, "query").filter((p) => !(o.path === "/api/posts" && p.name === "cursor"));
  const get = (o: OperationDoc, q: Record<string, string>) =>
    w.fetch(`${o.path}?${new URLSearchParams(q)}`, { method: o.method, headers: { authorization: alice } });

  it("values inside the documented bounds are accepted", async () => {
    expect(withQuery().map((o) => `${o.method} ${o.path}`)).toContain("GET /api/posts");
    for (const o of withQuery()) {
      const required = drawn(o)
        .filter((p) => p.required)
        .map((p) => p.name);
      const query = fc.record(Object.fromEntries(drawn(o).map((p) => [p.name, paramValues(p.schema).map(String)])), {
        requiredKeys: required,
      });
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const res = await get(o, q as Record<string, string>);
          await res.arrayBuffer();
          expect(accepted(o, res.status), `${o.method} ${o.path} ${JSON.stringify(q)} → ${res.status}`).toBe(true);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  });

  it("a value just outside one parameter's bounds, or a required one left out, is a 400 naming it", async () => {
    const named: string[] = [];
    for (const o of withQuery()) {
      // A valid value of every required parameter, so that only the one under test is wrong.
      const base = Object.fromEntries(
        drawn(o)
          .filter((p) => p.required)
          .map((p) => [p.name, String(fc.sample(paramValues(p.schema), { seed: SEED, numRuns: 1 })[0])]),
      );
      const cases = [
        ...drawn(o).flatMap((p) =>
          outside(p.schema, "string").map((c) => ({ name: p.name, what: c.what, query: { ...base, [p.name]: String(c.value) } })),
        ),
        ...drawn(o)
          .filter((p) => p.required)
          .map((p) => ({ name: p.name, what: "required", query: Object.fromEntries(Object.entries(base).filter(([k]) => k !== p.name)) })),
      ];
      for (const c of cases) {
        named.push(`${o.path} ${c.name}=${c.query[c.name] ?? "(missing)"}`);
        const res = await get(o, c.query);
        expect(res.status, `${o.path} ${c.name}: ${c.what}`).toBe(400);
        expect(Object.keys((await problem(res)).errors ?? {}), c.what).toContain(c.name);
      }
    }
    // The cases the issue lists are among the derived ones.
    expect(named).toEqual(
      expect.arrayContaining(["/api/posts limit=0", "/api/posts limit=101", "/api/posts page=0", "/api/posts page=1000001"]),
    );
  });

  it("page together with cursor is a 400, as documented", async () => {
    const res = await w.fetch("/api/posts?page=1&cursor=abc");
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toHaveProperty("page");
  });
});

/**
 * What "accepted" means for a request the document allows. Where the test holds everything the
 * operation needs (a token, its own post), success; elsewhere (a key or upload id no one
 * created) any documented answer except the validation refusals.
 */
const MUST_SUCCEED = [
  "GET /api/posts",
  "POST /api/posts",
  "PUT /api/posts/{id}",
  "PATCH /api/posts/{id}",
  "POST /api/chat",
  "POST /api/uploads",
  "POST /api/dev/token",
];
function accepted(o: OperationDoc, status: number): boolean {
  if (MUST_SUCCEED.includes(`${o.method} ${o.path}`)) return status >= 200 && status < 300;
  return status in o.responses && ![400, 413, 415].includes(status) && status < 500;
}

/** Values a parameter's schema allows (a one-field body, so the body generator serves). */
function paramValues(s: Schema): fc.Arbitrary<unknown> {
  return bodyCases({ type: "object", properties: { v: s }, required: ["v"] })[0]!.arb.map((o) => o.v);
}

describe("JSON request bodies", () => {
  // Webhook payloads are verified before they are parsed: their own describe block below.
  const withBodies = () => ops.filter((o) => jsonBody(o) && !o.path.startsWith("/api/webhooks/"));

  it("a body (and headers) built from the document is accepted", { timeout: 120_000 }, async () => {
    expect(MUST_SUCCEED.filter((m) => !ops.some((o) => `${o.method} ${o.path}` === m))).toEqual([]);
    for (const o of withBodies()) {
      for (const { arb } of bodyCases(jsonBody(o)!)) {
        await fc.assert(
          fc.asyncProperty(arb, headerValues(o), async (body, headers) => {
            const t = target(o);
            const res = await w.fetch(t.url, { method: o.method, headers: { ...t.headers, ...headers }, body: JSON.stringify(body) });
            const text = await res.text();
            // Confirming an upload needs the object in the store first: a 404 is its documented answer here.
            expect(
              accepted(o, res.status),
              `${o.method} ${o.path} ${JSON.stringify(body).slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`,
            ).toBe(true);
          }),
          { seed: SEED, numRuns: RUNS },
        );
      }
    }
  });

  it("a body that breaks one documented constraint is a 400 problem and writes nothing", { timeout: 120_000 }, async () => {
    const named: string[] = [];
    for (const o of withBodies()) {
      for (const { arb, violations } of bodyCases(jsonBody(o)!)) {
        for (const v of violations) {
          named.push(`${o.method} ${o.path} ${v.what}`);
          await fc.assert(
            fc.asyncProperty(arb, async (good) => {
              const bad = v.apply(good);
              const t = target(o);
              const before = await tableCounts(w);
              const res = await w.fetch(t.url, { method: o.method, headers: t.headers, body: JSON.stringify(bad) });
              expect(res.status, `${o.method} ${o.path} ${v.what}: ${JSON.stringify(bad).slice(0, 200)}`).toBe(400);
              expect((await problem(res)).errors, v.what).toBeDefined();
              expect(await tableCounts(w)).toEqual(before);
            }),
            { seed: SEED, numRuns: 2 },
          );
        }
      }
    }
    expect(named).toEqual(
      expect.arrayContaining([
        "PATCH /api/posts/{id} minProperties 1",
        "POST /api/uploads size: maximum 104857600",
        'POST /api/uploads contentType: enum ["image/png","image/jpeg","image/webp","image/gif","application/pdf","text/plain"]',
        "POST /api/dev/token sub: pattern ^[A-Za-z0-9._:@-]{1,128}$",
      ]),
    );
  });

  it("an Idempotency-Key outside its pattern or length is a 400 and creates nothing", async () => {
    const key = op("POST", "/api/posts").parameters.find((p) => p.name === "Idempotency-Key")!;
    const cases = outside(key.schema, "string").filter((c) => c.value !== "");
    expect(cases.map((c) => c.what)).toEqual(expect.arrayContaining(["maxLength 255"]));
    for (const c of cases) {
      const before = await tableCounts(w);
      const res = await w.fetch("/api/posts", {
        method: "POST",
        headers: { ...target(op("POST", "/api/posts")).headers, "idempotency-key": String(c.value) },
        body: JSON.stringify({ title: "t", content: "c" }),
      });
      expect(res.status, c.what).toBe(400);
      await problem(res);
      expect(await tableCounts(w)).toEqual(before);
    }
  });

  it("the dev token's body may be left out, as documented", async () => {
    const res = await w.fetch("/api/dev/token", { method: "POST" });
    expect(res.status).toBe(201);
  });
});

describe("bodies of thousands of unknown keys and bad array items, to every JSON route", () => {
  const ITEMS: unknown[] = [null, "x", -1, {}, [], { partNumber: "1" }];

  it("answer a 4xx problem of bounded size that lists at most 50 field paths and says how many more; nothing is written", async () => {
    const routes = ops.filter((o) => jsonBody(o));
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const o of routes) {
      const arrays = Object.entries(jsonBody(o)!.properties ?? {})
        .filter(([, s]) => s.type === "array")
        .map(([name]) => name);
      const { url, headers } = target(o);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 50_000 }),
          fc.integer({ min: 0, max: 5_000 }),
          fc.constantFrom(...ITEMS),
          async (keys, items, item) => {
            fc.pre(keys + (arrays.length > 0 ? items : 0) > 60);
            const body: Record<string, unknown> = {};
            for (const name of arrays) body[name] = Array.from({ length: items }, () => item);
            for (let i = 0; i < keys; i++) body[`k${i}`] = i;
            const before = await tableCounts(w);
            const res = await w.fetch(url, { method: o.method, headers, body: JSON.stringify(body) });
            const text = await res.text();
            const answer = { route: `${o.method} ${o.path}`, keys, items, status: res.status };
            expect(answer).toEqual({ ...answer, status: expect.toSatisfy((n: number) => n >= 400 && n < 500) });
            expect(text.length, answer.route).toBeLessThan(16_384);
            const p = JSON.parse(text) as { type: string; detail?: string; errors?: Record<string, string[]> };
            expect(Object.keys(p.errors ?? {}).length, answer.route).toBeLessThanOrEqual(50);
            // A full list means there were more (each unknown key is a path of its own): it says how many.
            if (Object.keys(p.errors ?? {}).length === 50 && keys > 50) expect(p.detail, answer.route).toMatch(/\d+ more not listed/);
            expect(await tableCounts(w), answer.route).toEqual(before);
          },
        ),
        { seed: 22, numRuns: 4 },
      );
    }
  });
});

describe("webhooks", () => {
  const now = () => String(Math.floor(Date.now() / 1000));
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data);
  /** Headers that a real sender would set for this body (all the required ones, correctly signed). */
  const signed: Record<string, (body: string, id: string) => Record<string, string>> = {
    "/api/webhooks/stripe": (body) => {
      const t = now();
      return { "Stripe-Signature": `t=${t},v1=${hmac(STRIPE, `${t}.${body}`).digest("hex")}` };
    },
    "/api/webhooks/standard": (body, id) => {
      const t = now();
      return {
        "webhook-id": id,
        "webhook-timestamp": t,
        "webhook-signature": `v1,${hmac(STANDARD_KEY, `${id}.${t}.${body}`).digest("base64")}`,
      };
    },
    "/api/webhooks/github": (body, id) => ({
      "X-GitHub-Delivery": id,
      "X-Hub-Signature-256": `sha256=${hmac(GITHUB, body).digest("hex")}`,
      "X-GitHub-Event": "ping",
    }),
  };
  const hooks = () => ops.filter((o) => o.path.startsWith("/api/webhooks/"));

  it("a signed payload of the documented shape is received", async () => {
    expect(
      hooks()
        .map((o) => o.path)
        .sort(),
    ).toEqual(Object.keys(signed).sort());
    for (const o of hooks()) {
      const schema = o.requestBody!.content["application/json"]!.schema;
      await fc.assert(
        fc.asyncProperty(bodyCases(schema)[0]!.arb, fc.uuid(), async (payload, id) => {
          const body = JSON.stringify(payload);
          const res = await w.fetch(o.path, {
            method: "POST",
            headers: { "content-type": "application/json", ...signed[o.path]!(body, id) },
            body,
          });
          expect(res.status, `${o.path} ${body.slice(0, 200)} → ${await res.clone().text()}`).toBe(200);
          await res.arrayBuffer();
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  });

  it("leaving out any required header is a 400 and records nothing", async () => {
    for (const o of hooks()) {
      for (const p of o.parameters.filter((x) => x.required)) {
        const body = JSON.stringify({ id: `evt_${++sequence}`, type: "conformance.test" });
        const headers = signed[o.path]!(body, `msg_${sequence}`);
        const without = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== p.name.toLowerCase()));
        const before = await tableCounts(w);
        const res = await w.fetch(o.path, { method: "POST", headers: { "content-type": "application/json", ...without }, body });
        expect(res.status, `${o.path} without ${p.name}`).toBe(400);
        await problem(res);
        expect(await tableCounts(w)).toEqual(before);
      }
    }
  });
});
