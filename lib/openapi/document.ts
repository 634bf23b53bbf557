/**
 * The OpenAPI 3.1 document, assembled from the declarations of the routes the Worker serves (and
 * so from the zod schemas that validate requests): one source of truth. A route's path is its
 * folder (`app/api/posts/[id]` → `/api/posts/{id}`), each operation's method the key it is
 * declared under; nothing here names an endpoint.
 */
import * as z from "zod";
import { resolveConfig, type Env } from "../config";
import { TITLES } from "../core/problem";
import { PROBLEM_TYPES, problemType, type ProblemSlug } from "../core/problem-types";
import { TAGS, type Declaration, type HttpMethod, type Operation } from "../http/declaration";
import { policyHeader } from "../http/rate-limit-policies";
import { rateLimitPolicies } from "./rate-limits";

/** A route module as the route table lists it: its pattern, and the handler that carries its declarations. */
export interface ServedRoute {
  /** The route's folder under app/, e.g. `/api/posts/[id]`. */
  pattern: string;
  module: object;
}

/** The upload limits are vars: the document is rendered with none set, so it shows the defaults. */
const documented = resolveConfig({ ENVIRONMENT: "production" } as Env);

const PARAM = /^\[(?:\.\.\.)?([^\]]+)\]$/;

/** `/api/posts/[id]` → `/api/posts/{id}`; a catch-all `[...key]` is one `{key}` (slashes allowed). */
export const pathTemplate = (pattern: string) =>
  pattern
    .split("/")
    .map((s) => s.replace(PARAM, "{$1}"))
    .join("/");

/** Every declared operation of the served routes, with its path and method. */
export function operationsOf(routes: readonly ServedRoute[]): Operation[] {
  const ops: Operation[] = [];
  for (const { pattern, module } of routes) {
    const handler = Object.values(module).find(
      (v): v is { declared: Record<string, Declaration> } => typeof v === "function" && "declared" in v,
    );
    const path = pathTemplate(pattern);
    const folderParams = pattern.split("/").flatMap((s) => PARAM.exec(s)?.[1] ?? []);
    for (const [method, declaration] of Object.entries(handler?.declared ?? {})) {
      const declaredParams = Object.keys(declaration.params?.shape ?? {});
      if (declaredParams.join() !== folderParams.join()) {
        throw new Error(
          `${method} ${pattern}: its declaration names the path parameters [${declaredParams}], its folder [${folderParams}].`,
        );
      }
      ops.push({ ...declaration, method: method.toLowerCase() as HttpMethod, path });
    }
  }
  return ops;
}

const PROBLEM_TITLES: Record<number, string> = {
  400: "Invalid request (problem+json with `errors` by field path)",
  401: "Missing or invalid bearer token",
  403: "Authenticated but not allowed",
  404: "Not found",
  405: "Method not allowed (see Allow)",
  409: "Conflicts with the resource's current state; nothing written (see type and detail)",
  411: "Content-Length required",
  412: "If-Match did not match",
  413: "Body too large",
  415: "Body is not application/json",
  422: "Unprocessable (see detail)",
  500: "Unexpected error (logged; no internals)",
  503: "Storage or dependency unavailable (Retry-After)",
};

const jsonSchema = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as Record<string, unknown>;

/** A body schema made from the configuration is documented with the defaults. */
const bodySchema = (body: NonNullable<Declaration["body"]>) => (typeof body === "function" ? body(documented) : body);

function strip(schema: Record<string, unknown>) {
  const { $schema: _omit, ...rest } = schema;
  return rest;
}

type ObjectSchema = { properties?: Record<string, Record<string, unknown>>; required?: string[] };

interface ParameterOptions {
  name: string;
  where: "path" | "query" | "header";
  required: boolean;
  schema: Record<string, unknown>;
}

/** A schema's description belongs on the parameter (where tools show it), not inside its schema. */
function parameter({ name, where, required, schema }: ParameterOptions) {
  const { description, ...rest } = schema;
  return { name, in: where, required, ...(typeof description === "string" && { description }), schema: rest };
}

function parameters(op: Operation) {
  const out: unknown[] = [];
  if (op.params) {
    const js = strip(jsonSchema(op.params, "input")) as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {})) out.push(parameter({ name, where: "path", required: true, schema: s }));
  }
  if (op.query) {
    // Query values arrive as strings and are decoded by the schema: the decoded type (output)
    // is what a client sends (`limit=20` is the integer 20); whether it may be left out is the
    // input side's business (a parameter with a default is optional).
    const required = new Set((jsonSchema(op.query, "input") as ObjectSchema).required ?? []);
    const js = jsonSchema(op.query, "output") as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {}))
      out.push(parameter({ name, where: "query", required: required.has(name), schema: s }));
  }
  for (const [name, header] of Object.entries(op.headers ?? {})) {
    const h = typeof header === "string" ? { description: header } : header;
    const schema = h.schema ? strip(jsonSchema(h.schema, "input")) : { type: "string" };
    out.push(parameter({ name, where: "header", required: h.required ?? false, schema: { description: h.description, ...schema } }));
  }
  return out;
}

/** `security: []` states outright that an operation takes no token (there is no document-wide default). */
const SECURITY: Record<Operation["auth"], unknown[]> = { none: [], optional: [{}, { bearer: [] }], required: [{ bearer: [] }] };

function operationObject(op: Operation) {
  // Every operation can answer 405 (another method on its path; see Allow), 500 and 503.
  const problems = new Set([
    ...(op.problems ?? []),
    405,
    500,
    503,
    ...(op.auth !== "none" ? [401] : []),
    ...(op.body ? [400, 413, 415] : []),
    // The server validates these and refuses a bad one with a 400 naming it.
    ...(op.query || Object.values(op.headers ?? {}).some((h) => typeof h !== "string" && (h.required || h.schema)) ? [400] : []),
  ]);
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.headers && {
        headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: "string" } }])),
      }),
      ...(r.schema && { content: { [r.contentType ?? "application/json"]: { schema: strip(jsonSchema(r.schema, "output")) } } }),
      ...(!r.schema && r.contentType && { content: { [r.contentType]: { schema: { type: "string" } } } }),
    };
  }
  for (const status of [...problems].sort()) {
    responses[String(status)] ??= { $ref: `#/components/responses/Problem${status}` };
  }
  const limits = rateLimitPolicies(op);
  if (limits.length > 0) responses["429"] ??= rateLimited(limits);
  return {
    operationId: `${op.method}${op.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    summary: op.summary,
    description: op.description,
    tags: op.tags,
    security: SECURITY[op.auth],
    parameters: parameters(op),
    ...(op.body && {
      requestBody: {
        required: op.bodyRequired ?? true,
        content: { "application/json": { schema: strip(jsonSchema(bodySchema(op.body), "input")) } },
      },
    }),
    ...(op.rawBody && {
      requestBody: {
        required: true,
        description: op.rawBody.description,
        content: {
          [op.rawBody.contentType]: { schema: op.rawBody.schema ? strip(jsonSchema(op.rawBody.schema, "input")) : { type: "string" } },
        },
      },
    }),
    responses,
  };
}

/** The 429 of a rate-limited operation: which policies apply, and the headers it carries. */
function rateLimited(policies: ReturnType<typeof rateLimitPolicies>) {
  return {
    description: `Rate limited (problem type \`rate-limited\`); nothing was done. Policies: ${policies.map((p) => `\`${policyHeader(p)}\``).join(", ")} (per user when authenticated, per client IP otherwise).`,
    headers: {
      "Retry-After": { description: "Seconds to wait before retrying (the policy's window).", schema: { type: "integer" } },
      "RateLimit-Policy": {
        description:
          'The policy that refused the request (IETF RateLimit header fields draft), e.g. `"chat";q=10;w=60`. Sent on every response of a limited operation.',
        schema: { type: "string" },
      },
    },
    content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    "x-rate-limit-policies": policies,
  };
}

/**
 * What a client really gets with each status (without one, Swagger UI invents "additionalProp1"
 * fields): the first problem type of that status, with a field error for a 400.
 */
function problemExample(status: number) {
  const [slug, { summary }] = Object.entries(PROBLEM_TYPES).find(([, t]) => t.status === status)!;
  return {
    type: problemType(slug as ProblemSlug),
    title: TITLES[status] ?? "Error",
    status,
    detail: status === 400 ? "The request body is invalid; see errors." : summary,
    ...(status === 400 && { errors: { title: ["Must be 1-200 characters."] } }),
    requestId: "0f6c2a9e-1d7b-4c3a-9e57-2b8f1a4d6c10",
  };
}

const TAG_ORDER = Object.keys(TAGS);
const METHOD_ORDER: HttpMethod[] = ["get", "post", "put", "patch", "delete"];

/** Tools list operations as the document does: by tag, then path, then method. */
const byTagPathMethod = (a: Operation, b: Operation) =>
  TAG_ORDER.indexOf(a.tags[0]!) - TAG_ORDER.indexOf(b.tags[0]!) ||
  a.path.localeCompare(b.path) ||
  METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method);

export function buildDocument(routes: readonly ServedRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operationsOf(routes).sort(byTagPathMethod)) (paths[op.path] ??= {})[op.method] = operationObject(op);
  const problem = {
    type: "object",
    required: ["type", "title", "status", "requestId"],
    "x-problem-types": Object.entries(PROBLEM_TYPES).map(([slug, { status, summary }]) => ({
      type: problemType(slug as ProblemSlug),
      status,
      summary,
    })),
    properties: {
      type: {
        type: "string",
        enum: ["about:blank", ...Object.keys(PROBLEM_TYPES).map((slug) => problemType(slug as ProblemSlug))],
        description: "A URI reference: /problems/<slug>, one of the types listed in x-problem-types",
      },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      errors: { type: "object", additionalProperties: { type: "array", items: { type: "string" } }, description: "Field path → messages" },
      requestId: { type: "string" },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Routeflare API",
      version: "1.0.0",
      description:
        "Posts on D1, signed webhooks, SSE chat and direct-to-R2 uploads, from Next.js Route Handlers on one Cloudflare Worker. Every response carries x-request-id; errors are RFC 9457 problem+json.",
      contact: { name: "Routeflare maintainers" },
      // The repository grants no license (package.json is private and names none): an SPDX
      // user-defined reference says so.
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/" }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { Problem: problem },
      responses: Object.fromEntries(
        Object.entries(PROBLEM_TITLES).map(([status, description]) => [
          `Problem${status}`,
          {
            description,
            content: {
              "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" }, example: problemExample(Number(status)) },
            },
          },
        ]),
      ),
    },
  };
}
