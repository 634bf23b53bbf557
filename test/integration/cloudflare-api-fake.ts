/**
 * A small, strict fake of the Cloudflare v4 REST API: exactly the endpoints the README's deploy
 * block reaches through wrangler (`CLOUDFLARE_API_BASE_URL`) and the Cloudflare SDK that
 * `opennextjs-cloudflare deploy` uses (`CLOUDFLARE_BASE_URL`), found by running each command
 * against a recording server and reading wrangler's source. Anything else, or a request without
 * the expected token, is answered 404/400/403 in Cloudflare's error envelope, so a command that
 * starts calling something new fails the test instead of passing unnoticed.
 *
 * It keeps the state a deploy leaves behind, so the test asserts outcomes rather than requests:
 * D1 databases are real SQLite databases (node:sqlite) that run the SQL they are sent, R2 buckets
 * keep their CORS and lifecycle rules and objects, Workers keep their secrets, their last upload
 * (metadata and modules) and their static assets. Every call is also recorded, in order.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DatabaseSync } from "node:sqlite";

export interface ApiCall {
  method: string;
  /** The path below the API base (`/accounts/<id>/d1/database`), without the query. */
  path: string;
  query: URLSearchParams;
  status: number;
}

export interface FakeDatabase {
  uuid: string;
  name: string;
  sqlite: DatabaseSync;
  /** Every SQL text received by /query, in order. */
  queries: string[];
}

export interface FakeBucket {
  name: string;
  cors?: unknown;
  lifecycle?: unknown;
  objects: Map<string, Buffer>;
}

export interface FakeScript {
  /** The `metadata` part of the last upload (bindings, compatibility, assets, …). */
  metadata: Record<string, unknown>;
  /** Every other part of the last upload: module name → source. */
  modules: Map<string, string>;
  secrets: Map<string, string>;
  uploads: number;
  versionId: string;
  workersDev: { enabled: boolean; previews_enabled: boolean };
  /** Cron Triggers, as last PUT. */
  schedules: { cron: string }[];
}

export interface CloudflareApiFake {
  /** The v4 base: what wrangler's CLOUDFLARE_API_BASE_URL and the SDK's CLOUDFLARE_BASE_URL take. */
  baseUrl: string;
  accountId: string;
  token: string;
  calls: ApiCall[];
  databases: Map<string, FakeDatabase>;
  buckets: Map<string, FakeBucket>;
  scripts: Map<string, FakeScript>;
  /** Static assets received by the upload session's buckets: content hash → bytes. */
  assets: Map<string, Buffer>;
  /** The manifest of the last assets upload session: path → { hash, size }. */
  assetManifest: Record<string, { hash: string; size: number }>;
  close: () => Promise<void>;
}

class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const BASE_PATH = "/client/v4";
/** wrangler's OAuth client (its default WRANGLER_CLIENT_ID) and the one code this fake grants. */
const OAUTH_CLIENT_ID = "54d11594-84e4-41aa-b438-e81b8fa78ee7";

/** A list answer with Cloudflare's `result_info` (all of it on one page). */
class Paged {
  readonly items: unknown[];
  readonly info: Record<string, number>;
  constructor(items: unknown[]) {
    this.items = items;
    this.info = { page: 1, per_page: items.length, count: items.length, total_count: items.length, total_pages: 1 };
  }
}
const paged = (items: unknown[]) => new Paged(items);
const WORKERS_DEV_SUBDOMAIN = "routeflare-test";

/** A JWT-shaped token: wrangler decodes the payload (upload mode, expiry), no one checks a signature. */
function jwt(payload: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...payload })}.fake`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiError(400, 10001, "the body is not a JSON object");
}

/** multipart/form-data, parsed the way a Worker would (undici's Request). */
async function formData(req: IncomingMessage, body: Buffer): Promise<FormData> {
  const type = req.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) throw new ApiError(400, 10001, `expected multipart/form-data, got ${type}`);
  return new Request("http://fake/", { method: "POST", headers: { "content-type": type }, body: new Uint8Array(body) }).formData();
}

/** Runs D1's /query body the way D1 answers it: one result per statement. */
function runSql(db: FakeDatabase, sql: string): unknown[] {
  db.queries.push(sql);
  const trimmed = sql.trim().replace(/;$/, "");
  if (/^select\b/i.test(trimmed) && !trimmed.includes(";")) {
    const rows = db.sqlite.prepare(trimmed).all();
    return [{ results: rows, success: true, meta: { duration: 0, rows_read: rows.length, rows_written: 0, changes: 0 } }];
  }
  db.sqlite.exec(sql);
  return [{ results: [], success: true, meta: { duration: 0, rows_read: 0, rows_written: 0, changes: 0 } }];
}

/** Everything the fake keeps: what the tests read (through CloudflareApiFake) and the routes change. */
interface State extends Omit<CloudflareApiFake, "baseUrl" | "close"> {
  /** Upload-session JWTs → the hashes that session asked for. */
  uploadSessions: Map<string, Set<string>>;
  /** OAuth codes granted and not yet exchanged. */
  codes: Map<string, { challenge: string; redirectUri: string; scope: string }>;
}

/** One request, as a route handler sees it. */
interface Call {
  req: IncomingMessage;
  query: URLSearchParams;
  body: Buffer;
  /** What the route's pattern captured (`:name` segments), decoded. */
  params: string[];
}

interface Route {
  method: string;
  /** Below /accounts/<id> unless it starts with `!` (then below the API base); `:x` is one segment. */
  path: string;
  handle: (state: State, call: Call) => unknown;
}

function database(state: State, id: string) {
  const db = [...state.databases.values()].find((d) => d.uuid === id || d.name === id);
  if (!db) throw new ApiError(404, 7404, `The database ${id} could not be found`);
  return db;
}

function bucket(state: State, name: string) {
  const b = state.buckets.get(name);
  if (!b) throw new ApiError(404, 10006, "The specified bucket does not exist.");
  return b;
}

function script(state: State, name: string) {
  const s = state.scripts.get(name);
  if (!s) throw new ApiError(404, 10007, "This Worker does not exist on your account.");
  return s;
}

/** The token check, and the account wrangler picks when none is configured (after `wrangler login`): the only one. */
const USER_ROUTES: Route[] = [
  { method: "GET", path: "!/user/tokens/verify", handle: () => ({ id: "fake-token", status: "active" }) },
  { method: "GET", path: "!/accounts", handle: (state) => paged([{ id: state.accountId, name: "Routeflare test account" }]) },
  {
    method: "GET",
    path: "!/memberships",
    handle: (state) => paged([{ id: "membership", status: "accepted", account: { id: state.accountId, name: "Routeflare test account" } }]),
  },
];

const D1_ROUTES: Route[] = [
  {
    method: "POST",
    path: "/d1/database",
    handle(state, { body }) {
      const { name } = json(body);
      if (typeof name !== "string") throw new ApiError(400, 7400, "name is required");
      if (state.databases.has(name)) throw new ApiError(400, 7502, "A database with that name already exists");
      const db: FakeDatabase = { uuid: randomUUID(), name, sqlite: new DatabaseSync(":memory:"), queries: [] };
      state.databases.set(name, db);
      return { uuid: db.uuid, name, created_in_region: "WEUR", version: "production" };
    },
  },
  {
    method: "GET",
    path: "/d1/database",
    handle(state, { query }) {
      const page = Number(query.get("page") ?? "1");
      const perPage = Number(query.get("per_page") ?? "1000");
      return [...state.databases.values()]
        .slice((page - 1) * perPage, page * perPage)
        .map((d) => ({ uuid: d.uuid, name: d.name, version: "production", created_at: new Date().toISOString() }));
    },
  },
  {
    method: "GET",
    path: "/d1/database/:id",
    handle(state, { params: [id] }) {
      const db = database(state, id!);
      return { uuid: db.uuid, name: db.name, version: "production", num_tables: 0, file_size: 0, running_in_region: "WEUR" };
    },
  },
  {
    method: "POST",
    path: "/d1/database/:id/query",
    handle(state, { params: [id], body }) {
      const db = database(state, id!);
      const { sql, params } = json(body);
      if (typeof sql !== "string" || (params !== undefined && !(Array.isArray(params) && params.length === 0)))
        throw new ApiError(400, 7400, "expected { sql } without parameters");
      try {
        return runSql(db, sql);
      } catch (err) {
        throw new ApiError(400, 7500, `${(err as Error).message}: SQLITE_ERROR`);
      }
    },
  },
];

const R2_ROUTES: Route[] = [
  {
    method: "POST",
    path: "/r2/buckets",
    handle(state, { body }) {
      const { name } = json(body);
      if (typeof name !== "string") throw new ApiError(400, 10005, "name is required");
      if (state.buckets.has(name)) throw new ApiError(409, 10004, "The bucket you tried to create already exists, and you own it.");
      state.buckets.set(name, { name, objects: new Map() });
      return { name, creation_date: new Date().toISOString(), location: "WEUR", storage_class: "Standard" };
    },
  },
  {
    method: "GET",
    path: "/r2/buckets/:name",
    handle(state, { params: [name] }) {
      const b = bucket(state, name!);
      return { name: b.name, creation_date: new Date().toISOString(), location: "WEUR", storage_class: "Standard" };
    },
  },
  ...(["cors", "lifecycle"] as const).map((rules): Route => ({
    method: "PUT",
    path: `/r2/buckets/:name/${rules}`,
    handle(state, { params: [name], body }) {
      const b = bucket(state, name!);
      const value = json(body);
      if (!Array.isArray(value.rules)) throw new ApiError(400, 10040, "rules must be an array");
      b[rules] = value;
      return {};
    },
  })),
];

/** A Worker's secrets, and what `wrangler deploy` reads of the deployed one before uploading. */
const WORKER_ROUTES: Route[] = [
  {
    method: "PUT",
    path: "/workers/scripts/:name/secrets",
    handle(state, { params: [name], body }) {
      const s = script(state, name!);
      const secret = json(body);
      if (typeof secret.name !== "string" || typeof secret.text !== "string" || secret.type !== "secret_text")
        throw new ApiError(400, 10021, "expected a secret_text");
      s.secrets.set(secret.name, secret.text);
      return { name: secret.name, type: secret.type };
    },
  },
  {
    method: "GET",
    path: "/workers/scripts/:name/secrets",
    handle: (state, { params: [name] }) =>
      [...script(state, name!).secrets.keys()].map((secret) => ({ name: secret, type: "secret_text" })),
  },
  // The service a script belongs to.
  {
    method: "GET",
    path: "/workers/services/:name",
    handle(state, { params: [name] }) {
      script(state, name!);
      const environment = { environment: "production", script: { id: name, tag: `tag-${name}`, tags: [], last_deployed_from: "wrangler" } };
      return { id: name, default_environment: environment };
    },
  },
  // Its deployments (wrangler checks for a gradual one first).
  {
    method: "GET",
    path: "/workers/scripts/:name/deployments",
    handle(state, { params: [name] }) {
      const s = script(state, name!);
      const versions = [{ version_id: s.versionId, percentage: 100 }];
      return { deployments: [{ id: `deployment-${s.uploads}`, source: "wrangler", strategy: "percentage", versions }] };
    },
  },
  // The settings of the running script (wrangler compares them with the config's bindings).
  {
    method: "GET",
    path: "/workers/scripts/:name/settings",
    handle(state, { params: [name] }) {
      const { metadata } = script(state, name!);
      return {
        bindings: metadata.bindings ?? [],
        compatibility_date: metadata.compatibility_date,
        compatibility_flags: metadata.compatibility_flags ?? [],
      };
    },
  },
];

/** workers.dev (the default route of a Worker without routes) and Cron Triggers. */
const TRIGGER_ROUTES: Route[] = [
  { method: "GET", path: "/workers/subdomain", handle: () => ({ subdomain: WORKERS_DEV_SUBDOMAIN }) },
  {
    method: "GET",
    path: "/workers/workers/:name",
    handle: (state, { params: [name] }) => ({ id: name, name, subdomain: script(state, name!).workersDev }),
  },
  {
    method: "POST",
    path: "/workers/scripts/:name/subdomain",
    handle(state, { params: [name], body }) {
      const s = script(state, name!);
      const { enabled, previews_enabled } = json(body);
      if (typeof enabled !== "boolean") throw new ApiError(400, 10021, "enabled must be a boolean");
      s.workersDev = { enabled, previews_enabled: previews_enabled === true };
      return s.workersDev;
    },
  },
  {
    method: "PUT",
    path: "/workers/scripts/:name/schedules",
    handle(state, { params: [name], body }) {
      const s = script(state, name!);
      const schedules: unknown = JSON.parse(body.toString("utf8"));
      if (!Array.isArray(schedules)) throw new ApiError(400, 10021, "expected an array of { cron }");
      s.schedules = schedules as { cron: string }[];
      return { schedules: s.schedules };
    },
  },
];

/** As Cloudflare does, an upload binding a database or bucket the account does not have is refused. */
function checkBindings(state: State, metadata: Record<string, unknown>) {
  for (const b of (metadata.bindings ?? []) as { name: string; type: string; id?: string; bucket_name?: string }[]) {
    if (b.type === "d1" && ![...state.databases.values()].some((d) => d.uuid === b.id))
      throw new ApiError(400, 10021, `binding ${b.name} of type d1 must have a valid \`id\` specified`);
    if (b.type === "r2_bucket" && !state.buckets.has(b.bucket_name ?? ""))
      throw new ApiError(400, 10085, `R2 bucket '${b.bucket_name}' not found`);
  }
}

/** The script upload: a new Worker's draft for `secret put`, or the deploy. */
async function uploadScript(state: State, { req, params: [name], body }: Call) {
  const form = await formData(req, body);
  const metadataPart = form.get("metadata");
  if (metadataPart === null) throw new ApiError(400, 10021, "the upload has no metadata part");
  const metadata = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text()) as Record<string, unknown>;
  const modules = new Map<string, string>();
  for (const [part, value] of form) if (part !== "metadata" && typeof value !== "string") modules.set(part, await value.text());
  if (typeof metadata.main_module !== "string" || !modules.has(metadata.main_module))
    throw new ApiError(400, 10021, "main_module names no uploaded module");
  checkBindings(state, metadata);
  const previous = state.scripts.get(name!);
  const s: FakeScript = {
    metadata,
    modules,
    secrets: previous?.secrets ?? new Map(),
    uploads: (previous?.uploads ?? 0) + 1,
    versionId: randomUUID(),
    workersDev: previous?.workersDev ?? { enabled: false, previews_enabled: false },
    schedules: previous?.schedules ?? [],
  };
  state.scripts.set(name!, s);
  return {
    id: name,
    deployment_id: s.versionId,
    etag: randomUUID(),
    modified_on: new Date().toISOString(),
    has_assets: Boolean(metadata.assets),
  };
}

/** The static assets upload session: which files Cloudflare lacks, in buckets of up to 10, as it sizes them. */
function startAssetsSession(state: State, { body }: Call) {
  const { manifest } = json(body) as { manifest?: Record<string, { hash: string; size: number }> };
  if (!manifest || typeof manifest !== "object") throw new ApiError(400, 10001, "no manifest");
  state.assetManifest = manifest;
  const needed = [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !state.assets.has(h));
  const session = jwt({ session: randomUUID() });
  state.uploadSessions.set(session, new Set(needed));
  const groups: string[][] = [];
  for (let i = 0; i < needed.length; i += 10) groups.push(needed.slice(i, i + 10));
  return { jwt: needed.length === 0 ? jwt({ completion: true }) : session, buckets: groups };
}

const UPLOAD_ROUTES: Route[] = [
  { method: "PUT", path: "/workers/scripts/:name", handle: uploadScript },
  { method: "POST", path: "/workers/scripts/:name/assets-upload-session", handle: startAssetsSession },
];

/** The assets upload itself, authorised by the session's JWT rather than the API token. */
async function uploadAssets(state: State, { req, body }: Call) {
  const auth = req.headers.authorization;
  const session = auth?.startsWith("Bearer ") ? state.uploadSessions.get(auth.slice("Bearer ".length)) : undefined;
  if (!session) throw new ApiError(401, 10001, "the upload needs the session's JWT");
  const form = await formData(req, body);
  for (const [hash, value] of form) {
    if (!session.has(hash) || typeof value === "string") throw new ApiError(400, 10001, `unexpected asset part ${hash}`);
    // The hash is wrangler's (BLAKE3 of the base64 and the extension): the test compares bytes.
    state.assets.set(hash, Buffer.from(await value.text(), "base64"));
  }
  const missing = [...session].filter((h) => !state.assets.has(h));
  return missing.length === 0 ? { jwt: jwt({ completion: true, assets: session.size }) } : {};
}

/** Every route of the API base that takes the API token, compiled against the account's id. */
function compile(accountId: string, routes: Route[]) {
  return routes.map((route) => {
    const path = route.path.startsWith("!") ? route.path.slice(1) : `/accounts/${accountId}${route.path}`;
    return { ...route, pattern: new RegExp(`^${path.replace(/:\w+/g, "([^/]+)")}$`) };
  });
}

const TOKEN_ROUTES = [...USER_ROUTES, ...D1_ROUTES, ...R2_ROUTES, ...WORKER_ROUTES, ...TRIGGER_ROUTES, ...UPLOAD_ROUTES];

/** Answers a request below the API base: its `result`, or throws an ApiError. */
async function route(
  state: State,
  routes: ReturnType<typeof compile>,
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
  body: Buffer,
) {
  const method = req.method ?? "GET";
  const call = (params: string[]): Call => ({ req, query, body, params: params.map(decodeURIComponent) });
  if (method === "POST" && path === `/accounts/${state.accountId}/workers/assets/upload` && query.get("base64") === "true")
    return uploadAssets(state, call([]));
  if (req.headers.authorization !== `Bearer ${state.token}`) throw new ApiError(403, 9109, "Invalid access token");
  for (const r of routes) {
    const m = r.method === method ? r.pattern.exec(path) : null;
    if (m) return r.handle(state, call(m.slice(1)));
  }
  throw new ApiError(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
}

interface OAuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const oauthError = (status: number, error: string): OAuthAnswer => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ error }),
});

/** The authorisation page: grants at once (the user clicking "Allow") by redirecting to wrangler's callback with a code. */
function authorize(state: State, q: URLSearchParams): OAuthAnswer {
  const redirectUri = q.get("redirect_uri");
  const challenge = q.get("code_challenge");
  const oauthState = q.get("state");
  const valid = q.get("response_type") === "code" && q.get("client_id") === OAUTH_CLIENT_ID && q.get("code_challenge_method") === "S256";
  if (!valid || !redirectUri || !challenge || !oauthState) return oauthError(400, "invalid_request");
  const code = randomUUID();
  state.codes.set(code, { challenge, redirectUri, scope: q.get("scope") ?? "" });
  const location = new URL(redirectUri);
  location.searchParams.set("code", code);
  location.searchParams.set("state", oauthState);
  return { status: 302, headers: { location: location.href }, body: "" };
}

/** The token endpoint: exchanges a code, checked against the PKCE verifier, for this fake's token. */
function exchangeCode(state: State, body: Buffer): OAuthAnswer {
  const form = new URLSearchParams(body.toString("utf8"));
  const code = form.get("code") ?? "";
  const grant = state.codes.get(code);
  if (form.get("grant_type") !== "authorization_code" || !grant || grant.redirectUri !== form.get("redirect_uri"))
    return oauthError(400, "invalid_grant");
  if (
    createHash("sha256")
      .update(form.get("code_verifier") ?? "")
      .digest("base64url") !== grant.challenge
  )
    return oauthError(400, "invalid_grant");
  state.codes.delete(code);
  const token = {
    access_token: state.token,
    token_type: "bearer",
    expires_in: 3600,
    refresh_token: `refresh-${randomUUID()}`,
    scope: grant.scope,
  };
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(token) };
}

/** dash.cloudflare.com's OAuth endpoints as `wrangler login` uses them (WRANGLER_AUTH_URL, WRANGLER_TOKEN_URL). */
function oauth(state: State, req: IncomingMessage, url: URL, body: Buffer): OAuthAnswer {
  if (req.method === "GET" && url.pathname === "/oauth2/auth") return authorize(state, url.searchParams);
  if (req.method === "POST" && url.pathname === "/oauth2/token") return exchangeCode(state, body);
  return oauthError(404, "not_found");
}

/** One HTTP request: recorded, then answered by the OAuth endpoints or the API in Cloudflare's envelope. */
async function handle(state: State, routes: ReturnType<typeof compile>, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://fake");
  const path = url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname;
  const call: ApiCall = { method: req.method ?? "GET", path, query: url.searchParams, status: 200 };
  state.calls.push(call);
  let payload: unknown;
  try {
    if (url.pathname.startsWith("/oauth2/")) {
      const answer = oauth(state, req, url, await readBody(req));
      call.status = answer.status;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    if (!url.pathname.startsWith(BASE_PATH)) throw new ApiError(404, 7000, "No route for that URI");
    const result = await route(state, routes, req, path, url.searchParams, await readBody(req));
    const envelope = { success: true, errors: [], messages: [] };
    payload = result instanceof Paged ? { ...envelope, result: result.items, result_info: result.info } : { ...envelope, result };
  } catch (err) {
    call.status = err instanceof ApiError ? err.status : 500;
    const code = err instanceof ApiError ? err.code : 10000;
    payload = { success: false, errors: [{ code, message: (err as Error).message }], messages: [], result: null };
  }
  res.writeHead(call.status, { "content-type": "application/json" });
  res.end(JSON.stringify(payload));
}

export async function startCloudflareApi(options: { accountId?: string; token?: string } = {}): Promise<CloudflareApiFake> {
  const state: State = {
    accountId: options.accountId ?? "0123456789abcdef0123456789abcdef",
    token: options.token ?? `fake-${randomUUID()}`,
    calls: [],
    databases: new Map(),
    buckets: new Map(),
    scripts: new Map(),
    assets: new Map(),
    assetManifest: {},
    uploadSessions: new Map(),
    codes: new Map(),
  };
  const routes = compile(state.accountId, TOKEN_ROUTES);
  const server = createServer((req, res) => void handle(state, routes, req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const { accountId, token, calls, databases, buckets, scripts, assets } = state;
  return {
    baseUrl: `http://127.0.0.1:${port}${BASE_PATH}`,
    accountId,
    token,
    calls,
    databases,
    buckets,
    scripts,
    assets,
    get assetManifest() {
      return state.assetManifest;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
