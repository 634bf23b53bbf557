/**
 * One declaration per endpoint: what it says reaches the route table, the OpenAPI document and
 * the limiter, with nothing else to edit. Inside workerd, on real local D1.
 */
import { env } from "cloudflare:test";
import * as z from "zod";
import { describe, expect, it } from "vitest";
import * as postRoute from "@/app/api/posts/[id]/route";
import { mintToken } from "@/lib/auth/mint";
import { policyHeader } from "@/lib/http/rate-limit-policies";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import { buildDocument, operationsOf } from "@/lib/openapi/document";
import * as posts from "@/lib/posts/api";
import { servedRoutes } from "@/worker/routes.generated";
import { callRoute } from "./call-route";

const bearer = async (sub: string) => ({ authorization: `Bearer ${await mintToken({ secret: env.DEV_SECRET, sub })}` });

type Doc = ReturnType<typeof buildDocument>;
const operation = (doc: Doc, path: string, method: string) =>
  (doc.paths[path] as Record<string, { summary: string; requestBody?: unknown; responses: Record<string, Record<string, unknown>> }>)[
    method
  ]!;

/** A new endpoint, as the README shows it: one declaration and one handler. */
const double = endpoint(
  {
    summary: "Double a number",
    description: "Answers twice the number sent; a number that is not an integer is a 400.",
    tags: ["operations"],
    auth: "required",
    rateLimit: "chat",
    params: z.object({ id: z.string() }),
    body: z.strictObject({ n: z.number().int() }),
    responses: { 200: { description: "Twice n", schema: z.object({ id: z.string(), doubled: z.number() }) } },
  },
  async (c, { body }) => json({ id: c.params.id, doubled: body.n * 2 }),
);
const thingRoute = defineRoute<{ id: string }>({ POST: double });
const thingRoutes = [{ pattern: "/api/things/[id]", module: thingRoute }];

describe("one declaration per endpoint", () => {
  it("an existing endpoint: the route table serves it, the document and the limiter follow its declaration", async () => {
    const route = servedRoutes.find((r) => r.pattern === "/api/posts/[id]")!;
    expect((route.module as typeof postRoute).PATCH.declared.PATCH).toBe(posts.updatePost);

    const patch = operation(buildDocument(servedRoutes), "/api/posts/{id}", "patch");
    expect(patch.summary).toBe(posts.updatePost.summary);
    expect(patch.responses["429"]!["x-rate-limit-policies"]).toEqual(["post-writes", "anonymous"]);
    const body = (patch.requestBody as { content: Record<string, { schema: { properties: object } }> }).content["application/json"]!.schema;
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(posts.updatePost.body.shape).sort());

    // The pipeline validates by the same schema and counts against the same policy.
    const res = await callRoute(
      postRoute.PATCH,
      new Request("https://api.test/api/posts/01JAAAAAAAAAAAAAAAAAAAAAAA", {
        method: "PATCH",
        headers: { "content-type": "application/json", ...(await bearer("alice")) },
        body: '{"title":""}',
      }),
      { id: "01JAAAAAAAAAAAAAAAAAAAAAAA" },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: object }).errors).toHaveProperty("title");
    expect(res.headers.get("ratelimit-policy")).toBe(policyHeader("post-writes"));
  });

  it("a new endpoint: its declaration alone puts it in the document, validates its body and picks its rate limit", async () => {
    const op = operation(buildDocument(thingRoutes), "/api/things/{id}", "post");
    expect(op.summary).toBe("Double a number");
    expect(op.responses["429"]!["x-rate-limit-policies"]).toEqual(["chat", "anonymous"]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "413", "415"]));

    const send = async (payload: string, headers: Record<string, string> = {}) =>
      callRoute(
        thingRoute.POST,
        new Request("https://api.test/api/things/t1", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: payload,
        }),
        { id: "t1" },
      );
    const auth = await bearer("bob");
    const ok = await send('{"n":21}', auth);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: "t1", doubled: 42 });
    expect(ok.headers.get("ratelimit-policy")).toBe(policyHeader("chat"));
    const bad = await send('{"n":1.5}', auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: object }).errors).toHaveProperty("n");
    // `auth: "required"` answers first: without a token, 401 whatever the body.
    expect((await send("not json")).status).toBe(401);
    // A method it does not declare: 405 with Allow.
    const get = await callRoute(thingRoute.GET, new Request("https://api.test/api/things/t1"), { id: "t1" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("the path is the route's folder: a declaration naming other path parameters is refused", () => {
    expect(() => operationsOf([{ pattern: "/api/things/[thingId]", module: thingRoute }])).toThrow(/\[id\].*\[thingId\]/);
    expect(operationsOf(thingRoutes).map((o) => `${o.method} ${o.path}`)).toEqual(["post /api/things/{id}"]);
  });

  it("every served route's declarations name exactly its folder's path parameters", () => {
    const ops = operationsOf(servedRoutes);
    expect(ops.length).toBeGreaterThanOrEqual(25);
    expect(new Set(ops.map((o) => `${o.method} ${o.path}`)).size).toBe(ops.length);
  });
});
