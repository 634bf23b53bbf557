/**
 * Hostile HTTP requests for the fuzz test, drawn by fast-check from the Worker's own OpenAPI
 * document: every documented route and method (and undocumented methods and paths), bodies
 * built from the request schemas and then broken (prototype-named keys, deep nesting, huge
 * strings, wrong types, non-JSON, invalid UTF-8), header values (runs of spaces in
 * Authorization, 8 KB values, garbage ids, bookmarks, If-Match, Idempotency-Key), paths
 * (encoded junk, `..`, very long, unicode, bytes that are not UTF-8) and query strings.
 *
 * Requests go out through node:http, not fetch: fetch would normalise `..` away and refuse
 * some header values, and hostile clients do not use fetch. The property each answer must
 * satisfy is in `judge`.
 */
import { request } from "node:http";
import fc from "fast-check";
import { bodyCases, jsonBody, operationsOf, outside, type OpenApiDoc, type OperationDoc } from "./openapi-model";

export interface FuzzRequest {
  /** The documented operation this request aims at ("METHOD /template"), or "other". */
  aim: string;
  method: string;
  /** Raw request target: path and query exactly as sent. */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  chunked: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** What the generator may use besides the document: real ids and tokens, so requests get past the first checks. */
export interface FuzzWorld {
  doc: OpenApiDoc;
  postIds: string[];
  uploadKeys: string[];
  /** Authorization header values of real users. */
  bearers: string[];
}

const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__", "toJSON", "then"];
const KB8 = 8 * 1024;

/** Header-safe text: what an HTTP/1.1 client can put in a field value (tab, visible ASCII, Latin-1). */
const latin1 = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09)).map((c) => String.fromCharCode(c)), maxLength });
const longRun = (ch: string) => fc.integer({ min: 1, max: KB8 }).map((n) => ch.repeat(n));

const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("..", ".", "%2e%2e", "%2E%2e%2F..", "..%2f..%2f", "%00", "%ff", "%c3%28", "%", "%zz", "%%", "'%3B%20drop%20table%20posts%3B--", "%2F", "", "~", "%5C..%5C", "null", "__proto__", "constructor", "%F0%9F%92%A9", "%E2%80%AE", "%EF%BB%BF", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "0".repeat(26), "uploads"),
  fc.string({ unit: "grapheme", maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: "binary", maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 256, max: 12_000 }).map((n) => "a".repeat(n)),
  // Bytes that are not UTF-8, percent-encoded: raw bytes over 0x7f in the request line never
  // reach a Worker (the runtime's HTTP parser answers 400 "invalid URI" itself, as the edge does).
  fc.uint8Array({ min: 0x80, max: 0xff, minLength: 1, maxLength: 8 }).map((b) => [...b].map((x) => `%${x.toString(16)}`).join("")),
);

function pathFor(template: string, world: FuzzWorld): fc.Arbitrary<string> {
  const parts = template.split(/(\{[^}]+\})/).filter((p) => p !== "");
  return fc
    .tuple(
      ...parts.map((p): fc.Arbitrary<string> => {
        if (p === "{id}") return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...world.postIds) }, { weight: 2, arbitrary: hostileSegment });
        if (p.startsWith("{")) {
          // Catch-all parameters (upload keys, dev-s3 paths) take several segments.
          const real = world.uploadKeys.length ? fc.constantFrom(...world.uploadKeys) : fc.constant("uploads/x/y/z.png");
          return fc.oneof(real, fc.array(hostileSegment, { minLength: 1, maxLength: 5 }).map((s) => s.join("/")), real.chain((k) => hostileSegment.map((s) => `${k}/${s}`)));
        }
        return fc.constant(p);
      }),
    )
    .map((xs) => xs.join(""));
}

function queryFor(op: OperationDoc | undefined): fc.Arbitrary<string> {
  const documented = (op?.parameters ?? []).filter((p) => p.in === "query");
  const pair = (k: fc.Arbitrary<string>, v: fc.Arbitrary<string>) => fc.tuple(k, v).map(([a, b]) => `${a}=${b}`);
  const docPair = documented.length
    ? fc.constantFrom(...documented).chain((p) => {
        const edges = outside(p.schema, "string").map((o) => String(o.value));
        const good = p.schema.enum ? p.schema.enum.map(String) : p.schema.type === "integer" ? [String(p.schema.minimum ?? 1), String(p.schema.maximum ?? 100)] : ["x"];
        return pair(fc.constant(p.name), fc.oneof(fc.constantFrom(...good, ...edges), hostileSegment));
      })
    : fc.constant("");
  const junkPair = pair(hostileSegment, hostileSegment);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant("") },
    { weight: 4, arbitrary: fc.array(fc.oneof(docPair, junkPair), { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.join("&")}`) },
    { weight: 1, arbitrary: fc.constantFrom("?", "??", "?&&=&", "?limit", "?limit=1&limit=2", "?cursor=&page=", "?page=1&cursor=x", "?%ff=%ff", "?a[b][c]=1", "?__proto__[x]=1") },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: KB8 }).map((n) => `?q=${"x".repeat(n)}`) },
  );
}

/** A JSON object text whose keys are exactly `entries` (JSON.stringify of an object would lose `__proto__`). */
const objectText = (entries: [string, unknown][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`;

function bodyFor(op: OperationDoc | undefined): fc.Arbitrary<Buffer | undefined> {
  const schema = op && jsonBody(op);
  const validObject: fc.Arbitrary<Record<string, unknown>> = schema ? fc.oneof(...bodyCases(schema).map((c) => c.arb)) : fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  const text = (t: fc.Arbitrary<string>) => t.map((s) => Buffer.from(s, "utf8"));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: text(validObject.map((o) => objectText(Object.entries(o)))) },
    {
      // Prototype-named keys next to (or instead of) valid fields.
      weight: 4,
      arbitrary: text(fc.tuple(validObject, fc.array(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 }), fc.boolean()).map(([o, extra, first]) => objectText(first ? [...extra, ...Object.entries(o)] : [...Object.entries(o), ...extra]))),
    },
    {
      // Valid fields with values of the wrong type.
      weight: 3,
      arbitrary: text(fc.tuple(validObject, fc.jsonValue({ maxDepth: 3 })).map(([o, v]) => objectText(Object.keys(o).map((k) => [k, v])))),
    },
    { weight: 2, arbitrary: text(fc.jsonValue().map((v) => JSON.stringify(v))) },
    {
      // Deep nesting, in arrays and in objects, as the whole body or as a field.
      weight: 2,
      arbitrary: text(
        fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom("array", "object", "field")).map(([n, kind]) =>
          kind === "array" ? "[".repeat(n) + "]".repeat(n) : kind === "object" ? '{"a":'.repeat(n) + "1" + "}".repeat(n) : `{"title":${"[".repeat(n)}${"]".repeat(n)},"content":"x"}`,
        ),
      ),
    },
    {
      // Huge strings: past every field limit, and past the body limit.
      weight: 1,
      arbitrary: text(fc.tuple(fc.constantFrom("title", "content", "message", "filename", "sub", "key"), fc.constantFrom(201, 100_001, 300_000, 1024 * 1024 + 1)).map(([k, n]) => objectText([[k, "x".repeat(n)]]))),
    },
    { weight: 2, arbitrary: text(fc.oneof(fc.string(), fc.constantFrom("", " ", "{", '{"title":', "nul", "\u0000", "\ufeff{}", "{}garbage", '{"a":1,"a":2}', "1e999", '"\\ud800"'))) },
    // Invalid UTF-8 (and any other bytes).
    { weight: 2, arbitrary: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(Uint8Array.of(0xff, 0xfe), Uint8Array.of(0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d))).map((b) => Buffer.from(b)) },
  );
}

function headersFor(op: OperationDoc | undefined, world: FuzzWorld): fc.Arbitrary<Record<string, string>> {
  const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
  const junk = fc.oneof(latin1(64), longRun(" "), latin1(KB8).map((s) => s.padEnd(KB8, "x")), fc.constant(""));
  const documentedHeaders = (op?.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);
  return fc
    .record({
      authorization: optional(
        fc.oneof(
          fc.constantFrom(...world.bearers),
          fc.tuple(longRun(" "), longRun(" ")).map(([a, b]) => `Bearer${a}x${b}y`),
          fc.constantFrom("Bearer", "Bearer ", "bearer abc", "Basic YWxpY2U6c2VjcmV0", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", "Bearer \u00ff\u00fe"),
          latin1(64).map((s) => `Bearer ${s}`),
          junk,
        ),
      ),
      "content-type": optional(fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON ;x=y", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ";", "")),
      "x-request-id": optional(fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), junk)),
      "x-d1-bookmark": optional(fc.oneof(fc.constantFrom("first-primary", "first-unconstrained", "00000001-00000002-00004e0f-1a2b"), junk)),
      "if-match": optional(fc.oneof(fc.constantFrom("", "*", '"abc"', 'W/"abc"', '"a", "b"', ",,,"), junk)),
      "if-none-match": optional(fc.oneof(fc.constantFrom("", "*", '"abc"', 'W/"abc"'), junk)),
      "idempotency-key": optional(fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,255}$/), fc.constant("k".repeat(256)), junk)),
      origin: optional(fc.constantFrom("http://localhost:3000", "https://evil.example", "null", "")),
      "access-control-request-method": optional(fc.constantFrom("PUT", "DELETE", "FOO", "")),
      documented: optional(documentedHeaders.length ? fc.tuple(fc.constantFrom(...documentedHeaders), junk) : fc.constant(undefined)),
      extra: optional(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), junk)),
    })
    .map(({ documented, extra, ...named }) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(named)) if (v !== undefined) out[k] = v;
      for (const pair of [documented, extra]) if (pair) out[pair[0].toLowerCase()] ??= pair[1];
      return out;
    });
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/**
 * Methods no route handles. Only ones the runtime's HTTP parser knows: an unknown token (FOO)
 * is answered 501 by workerd itself before any Worker code runs, as the edge would refuse it.
 */
const OTHER_METHODS = ["PROPFIND", "PURGE", "MKCOL", "TRACE"];

/** One hostile request: mostly aimed at a documented operation, sometimes at anything at all. */
export function fuzzRequest(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const ops = operationsOf(world.doc);
  const aimed = fc.constantFrom(...ops).chain((op) =>
    fc.record({
      aim: fc.constant(`${op.method} ${op.path}`),
      method: fc.oneof({ weight: 5, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS, ...OTHER_METHODS) }),
      target: fc.tuple(pathFor(op.path, world), queryFor(op), fc.constantFrom("", "", "", "/", "//", "/..", "/%2e%2e")).map(([p, q, tail]) => p + tail + q),
      headers: headersFor(op, world),
      body: bodyFor(op),
      chunked: fc.boolean(),
    }),
  );
  const anywhere = fc.record({
    aim: fc.constant("other"),
    method: fc.constantFrom(...METHODS),
    target: fc
      .tuple(fc.constantFrom("/api", "/api/", "/api/posts/", "/api/uploads/", "/", "/docs", "/api/dev-s3/", "//api/posts", "/API/posts", "/api/./posts", "/api/x/../posts"), fc.array(hostileSegment, { maxLength: 4 }), queryFor(undefined))
      .map(([base, segs, q]) => base + segs.join("/") + q),
    headers: headersFor(undefined, world),
    body: bodyFor(undefined),
    chunked: fc.boolean(),
  });
  return fc.oneof({ weight: 9, arbitrary: aimed }, { weight: 1, arbitrary: anywhere }).map((r) => {
    // A body needs a method that carries one; GET and HEAD bodies are not what clients send.
    if (r.method === "GET" || r.method === "HEAD") return { ...r, body: undefined };
    return r as FuzzRequest;
  });
}

/**
 * Sends `r` as written (no normalisation) on a fresh connection and reads the whole answer.
 * Answers may carry long headers (a redirect's Location repeats a long path), so the client
 * accepts up to 1 MiB of them rather than Node's 16 KiB default.
 */
export function send(base: URL, r: FuzzRequest, timeoutMs = 30_000): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers, connection: "close" };
    if (r.body && !r.chunked) headers["content-length"] = String(r.body.length);
    const req = request({ host: base.hostname, port: base.port, method: r.method, path: r.target, headers, agent: false, timeout: timeoutMs, maxHeaderSize: 1024 * 1024 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    if (!r.body) return void req.end();
    if (!r.chunked) return void req.end(r.body);
    // Chunked, in a few pieces, as a streaming client would send it.
    const step = Math.max(1, Math.ceil(r.body.length / 4));
    for (let i = 0; i < r.body.length; i += step) req.write(r.body.subarray(i, i + step));
    req.end();
  });
}

/** The path the Worker routes on (dot segments resolved, as URL parsing does). */
const routedPath = (target: string) => {
  try {
    // An origin-form target follows the authority: "//api" is a path here, not a host.
    return new URL(`http://x${target}`).pathname;
  } catch {
    return target;
  }
};

/**
 * The property: never a 5xx; under /api every answer carries x-request-id, and every error is
 * application/problem+json whose `status` is the HTTP status and whose `requestId` equals the
 * x-request-id header. Returns what is wrong, or undefined.
 */
export function judge(r: FuzzRequest, res: FuzzResponse): string | undefined {
  if (res.status >= 500) return `${res.status} ${res.body.toString("utf8").slice(0, 500)}`;
  const path = routedPath(r.target);
  if (!(path === "/api" || path.startsWith("/api/"))) return undefined;
  const requestId = res.headers["x-request-id"];
  if (typeof requestId !== "string" || requestId === "") return "no x-request-id header";
  if (res.status < 400 || r.method === "HEAD") return undefined;
  const type = String(res.headers["content-type"] ?? "");
  if (!type.startsWith("application/problem+json")) return `error ${res.status} served as ${type || "no content type"}`;
  let body: { status?: unknown; requestId?: unknown };
  try {
    body = JSON.parse(res.body.toString("utf8")) as typeof body;
  } catch {
    return `error ${res.status}: problem body is not JSON`;
  }
  if (body.status !== res.status) return `problem status ${String(body.status)} on a ${res.status}`;
  if (body.requestId !== requestId) return `problem requestId ${String(body.requestId)} is not the x-request-id ${requestId}`;
  return undefined;
}

export interface FuzzFigures {
  seed: number;
  requests: number;
  statuses: Record<string, number>;
  serverErrors: number;
  /** Documented operations ("METHOD /template") aimed at, with counts. */
  operations: Record<string, number>;
  durationMs: number;
  /** The five slowest requests (for finding costly inputs; never asserted on). */
  slowest: { ms: number; status: number; request: string }[];
}

/** A short description of a request for failure messages (bodies and long values cut). */
export function describeRequest(r: FuzzRequest): string {
  const cut = (s: string) => (s.length > 120 ? `${s.slice(0, 120)}…(${s.length} chars)` : s);
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${JSON.stringify(cut(v))}`);
  const body = r.body ? `${r.chunked ? "chunked " : ""}body ${JSON.stringify(cut(r.body.toString("latin1")))}` : "no body";
  return `${r.method} ${cut(r.target)} [${r.aim}] {${headers.join("; ")}} ${body}`;
}
