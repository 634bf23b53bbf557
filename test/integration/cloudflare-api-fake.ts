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

export async function startCloudflareApi(options: { accountId?: string; token?: string } = {}): Promise<CloudflareApiFake> {
  const accountId = options.accountId ?? "0123456789abcdef0123456789abcdef";
  const token = options.token ?? `fake-${randomUUID()}`;
  const calls: ApiCall[] = [];
  const databases = new Map<string, FakeDatabase>();
  const buckets = new Map<string, FakeBucket>();
  const scripts = new Map<string, FakeScript>();
  const assets = new Map<string, Buffer>();
  let assetManifest: Record<string, { hash: string; size: number }> = {};
  /** Upload-session JWTs → the hashes that session asked for. */
  const uploadSessions = new Map<string, Set<string>>();

  const database = (id: string) => {
    const db = [...databases.values()].find((d) => d.uuid === id || d.name === id);
    if (!db) throw new ApiError(404, 7404, `The database ${id} could not be found`);
    return db;
  };
  const bucket = (name: string) => {
    const b = buckets.get(name);
    if (!b) throw new ApiError(404, 10006, "The specified bucket does not exist.");
    return b;
  };
  const script = (name: string) => {
    const s = scripts.get(name);
    if (!s) throw new ApiError(404, 10007, "This Worker does not exist on your account.");
    return s;
  };

  /**
   * dash.cloudflare.com's OAuth endpoints as `wrangler login` uses them (WRANGLER_AUTH_URL,
   * WRANGLER_TOKEN_URL): the authorisation page grants at once (the user clicking "Allow") by
   * redirecting to wrangler's callback with a code, and the token endpoint exchanges that code,
   * checked against the PKCE verifier, for this fake's token.
   */
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string }>();
  function oauth(req: IncomingMessage, url: URL, body: Buffer): { status: number; headers: Record<string, string>; body: string } {
    const error = (status: number, error: string) => ({
      status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ error }),
    });
    if (req.method === "GET" && url.pathname === "/oauth2/auth") {
      const q = url.searchParams;
      const redirectUri = q.get("redirect_uri");
      const challenge = q.get("code_challenge");
      if (
        q.get("response_type") !== "code" ||
        q.get("client_id") !== OAUTH_CLIENT_ID ||
        !redirectUri ||
        !challenge ||
        q.get("code_challenge_method") !== "S256" ||
        !q.get("state")
      )
        return error(400, "invalid_request");
      const code = randomUUID();
      codes.set(code, { challenge, redirectUri, scope: q.get("scope") ?? "" });
      const location = new URL(redirectUri);
      location.searchParams.set("code", code);
      location.searchParams.set("state", q.get("state")!);
      return { status: 302, headers: { location: location.href }, body: "" };
    }
    if (req.method === "POST" && url.pathname === "/oauth2/token") {
      const form = new URLSearchParams(body.toString("utf8"));
      const grant = codes.get(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      if (form.get("grant_type") !== "authorization_code" || !grant || grant.redirectUri !== form.get("redirect_uri"))
        return error(400, "invalid_grant");
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) return error(400, "invalid_grant");
      codes.delete(form.get("code")!);
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          access_token: token,
          token_type: "bearer",
          expires_in: 3600,
          refresh_token: `refresh-${randomUUID()}`,
          scope: grant.scope,
        }),
      };
    }
    return error(404, "not_found");
  }

  async function route(req: IncomingMessage, path: string, query: URLSearchParams, body: Buffer): Promise<unknown> {
    const method = req.method ?? "GET";
    const auth = req.headers.authorization;
    const account = `/accounts/${accountId}`;
    let m: RegExpExecArray | null;

    // The assets upload is authorised by the session's JWT, everything else by the API token.
    if (method === "POST" && path === `${account}/workers/assets/upload` && query.get("base64") === "true") {
      const session = auth?.startsWith("Bearer ") ? uploadSessions.get(auth.slice("Bearer ".length)) : undefined;
      if (!session) throw new ApiError(401, 10001, "the upload needs the session's JWT");
      const form = await formData(req, body);
      for (const [hash, value] of form) {
        if (!session.has(hash) || typeof value === "string") throw new ApiError(400, 10001, `unexpected asset part ${hash}`);
        // The hash is wrangler's (BLAKE3 of the base64 and the extension): the test compares bytes.
        assets.set(hash, Buffer.from(await value.text(), "base64"));
      }
      const missing = [...session].filter((h) => !assets.has(h));
      return missing.length === 0 ? { jwt: jwt({ completion: true, assets: session.size }) } : {};
    }
    if (auth !== `Bearer ${token}`) throw new ApiError(403, 9109, "Invalid access token");

    if (method === "GET" && path === "/user/tokens/verify") return { id: "fake-token", status: "active" };
    // The account wrangler picks when none is configured (after `wrangler login`): the only one.
    if (method === "GET" && path === "/accounts") return paged([{ id: accountId, name: "Routeflare test account" }]);
    if (method === "GET" && path === "/memberships")
      return paged([{ id: "membership", status: "accepted", account: { id: accountId, name: "Routeflare test account" } }]);

    // D1
    if (method === "POST" && path === `${account}/d1/database`) {
      const { name } = json(body);
      if (typeof name !== "string") throw new ApiError(400, 7400, "name is required");
      if (databases.has(name)) throw new ApiError(400, 7502, "A database with that name already exists");
      const db: FakeDatabase = { uuid: randomUUID(), name, sqlite: new DatabaseSync(":memory:"), queries: [] };
      databases.set(name, db);
      return { uuid: db.uuid, name, created_in_region: "WEUR", version: "production" };
    }
    if (method === "GET" && path === `${account}/d1/database`) {
      const page = Number(query.get("page") ?? "1");
      const perPage = Number(query.get("per_page") ?? "1000");
      return [...databases.values()]
        .slice((page - 1) * perPage, page * perPage)
        .map((d) => ({ uuid: d.uuid, name: d.name, version: "production", created_at: new Date().toISOString() }));
    }
    if ((m = new RegExp(`^${account}/d1/database/([^/]+)$`).exec(path)) && method === "GET") {
      const db = database(decodeURIComponent(m[1]!));
      return { uuid: db.uuid, name: db.name, version: "production", num_tables: 0, file_size: 0, running_in_region: "WEUR" };
    }
    if ((m = new RegExp(`^${account}/d1/database/([^/]+)/query$`).exec(path)) && method === "POST") {
      const db = database(m[1]!);
      const { sql, params } = json(body);
      if (typeof sql !== "string" || (params !== undefined && !(Array.isArray(params) && params.length === 0)))
        throw new ApiError(400, 7400, "expected { sql } without parameters");
      try {
        return runSql(db, sql);
      } catch (err) {
        throw new ApiError(400, 7500, `${(err as Error).message}: SQLITE_ERROR`);
      }
    }

    // R2
    if (method === "POST" && path === `${account}/r2/buckets`) {
      const { name } = json(body);
      if (typeof name !== "string") throw new ApiError(400, 10005, "name is required");
      if (buckets.has(name)) throw new ApiError(409, 10004, "The bucket you tried to create already exists, and you own it.");
      buckets.set(name, { name, objects: new Map() });
      return { name, creation_date: new Date().toISOString(), location: "WEUR", storage_class: "Standard" };
    }
    if ((m = new RegExp(`^${account}/r2/buckets/([^/]+)$`).exec(path)) && method === "GET") {
      const b = bucket(m[1]!);
      return { name: b.name, creation_date: new Date().toISOString(), location: "WEUR", storage_class: "Standard" };
    }
    if ((m = new RegExp(`^${account}/r2/buckets/([^/]+)/(cors|lifecycle)$`).exec(path)) && method === "PUT") {
      const b = bucket(m[1]!);
      const rules = json(body);
      if (!Array.isArray(rules.rules)) throw new ApiError(400, 10040, "rules must be an array");
      b[m[2] as "cors" | "lifecycle"] = rules;
      return {};
    }

    // Workers: secrets
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/secrets$`).exec(path)) && method === "PUT") {
      const s = script(m[1]!);
      const { name, text, type } = json(body);
      if (typeof name !== "string" || typeof text !== "string" || type !== "secret_text")
        throw new ApiError(400, 10021, "expected a secret_text");
      s.secrets.set(name, text);
      return { name, type };
    }
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/secrets$`).exec(path)) && method === "GET") {
      return [...script(m[1]!).secrets.keys()].map((name) => ({ name, type: "secret_text" }));
    }

    // Workers: the service a script belongs to (wrangler deploy asks before uploading)
    if ((m = new RegExp(`^${account}/workers/services/([^/]+)$`).exec(path)) && method === "GET") {
      const name = m[1]!;
      script(name);
      return {
        id: name,
        default_environment: {
          environment: "production",
          script: { id: name, tag: `tag-${name}`, tags: [], last_deployed_from: "wrangler" },
        },
      };
    }

    // Workers: the script's deployments (wrangler deploy checks for a gradual one first)
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/deployments$`).exec(path)) && method === "GET") {
      const s = script(m[1]!);
      return {
        deployments: [
          {
            id: `deployment-${s.uploads}`,
            source: "wrangler",
            strategy: "percentage",
            versions: [{ version_id: s.versionId, percentage: 100 }],
          },
        ],
      };
    }

    // Workers: the settings of the running script (wrangler compares them with the config's bindings)
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/settings$`).exec(path)) && method === "GET") {
      const { metadata } = script(m[1]!);
      return {
        bindings: metadata.bindings ?? [],
        compatibility_date: metadata.compatibility_date,
        compatibility_flags: metadata.compatibility_flags ?? [],
      };
    }

    // Workers: workers.dev (the default route of a Worker without routes) and Cron Triggers
    if (method === "GET" && path === `${account}/workers/subdomain`) return { subdomain: WORKERS_DEV_SUBDOMAIN };
    if ((m = new RegExp(`^${account}/workers/workers/([^/]+)$`).exec(path)) && method === "GET") {
      const s = script(m[1]!);
      return { id: m[1], name: m[1], subdomain: s.workersDev };
    }
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/subdomain$`).exec(path)) && method === "POST") {
      const s = script(m[1]!);
      const { enabled, previews_enabled } = json(body);
      if (typeof enabled !== "boolean") throw new ApiError(400, 10021, "enabled must be a boolean");
      s.workersDev = { enabled, previews_enabled: previews_enabled === true };
      return s.workersDev;
    }
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/schedules$`).exec(path)) && method === "PUT") {
      const s = script(m[1]!);
      const schedules: unknown = JSON.parse(body.toString("utf8"));
      if (!Array.isArray(schedules)) throw new ApiError(400, 10021, "expected an array of { cron }");
      s.schedules = schedules as { cron: string }[];
      return { schedules: s.schedules };
    }

    // Workers: the script upload (a new Worker's draft for `secret put`, or the deploy)
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)$`).exec(path)) && method === "PUT") {
      const name = m[1]!;
      const form = await formData(req, body);
      const metadataPart = form.get("metadata");
      if (metadataPart === null) throw new ApiError(400, 10021, "the upload has no metadata part");
      const metadata = JSON.parse(typeof metadataPart === "string" ? metadataPart : await metadataPart.text()) as Record<string, unknown>;
      const modules = new Map<string, string>();
      for (const [part, value] of form) if (part !== "metadata" && typeof value !== "string") modules.set(part, await value.text());
      if (typeof metadata.main_module !== "string" || !modules.has(metadata.main_module))
        throw new ApiError(400, 10021, "main_module names no uploaded module");
      // As Cloudflare does, a binding to a database or bucket the account does not have is refused.
      for (const b of (metadata.bindings ?? []) as { name: string; type: string; id?: string; bucket_name?: string }[]) {
        if (b.type === "d1" && ![...databases.values()].some((d) => d.uuid === b.id))
          throw new ApiError(400, 10021, `binding ${b.name} of type d1 must have a valid \`id\` specified`);
        if (b.type === "r2_bucket" && !buckets.has(b.bucket_name ?? ""))
          throw new ApiError(400, 10085, `R2 bucket '${b.bucket_name}' not found`);
      }
      const previous = scripts.get(name);
      const s: FakeScript = {
        metadata,
        modules,
        secrets: previous?.secrets ?? new Map(),
        uploads: (previous?.uploads ?? 0) + 1,
        versionId: randomUUID(),
        workersDev: previous?.workersDev ?? { enabled: false, previews_enabled: false },
        schedules: previous?.schedules ?? [],
      };
      scripts.set(name, s);
      return {
        id: name,
        deployment_id: s.versionId,
        etag: randomUUID(),
        modified_on: new Date().toISOString(),
        has_assets: Boolean(metadata.assets),
      };
    }

    // Workers: the static assets upload session
    if ((m = new RegExp(`^${account}/workers/scripts/([^/]+)/assets-upload-session$`).exec(path)) && method === "POST") {
      const { manifest } = json(body) as { manifest?: Record<string, { hash: string; size: number }> };
      if (!manifest || typeof manifest !== "object") throw new ApiError(400, 10001, "no manifest");
      assetManifest = manifest;
      const needed = [...new Set(Object.values(manifest).map((e) => e.hash))].filter((h) => !assets.has(h));
      const session = jwt({ session: randomUUID() });
      uploadSessions.set(session, new Set(needed));
      // Buckets of up to 10 files, as Cloudflare sizes them.
      const groups: string[][] = [];
      for (let i = 0; i < needed.length; i += 10) groups.push(needed.slice(i, i + 10));
      return { jwt: needed.length === 0 ? jwt({ completion: true }) : session, buckets: groups };
    }

    throw new ApiError(404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const call: ApiCall = {
        method: req.method ?? "GET",
        path: url.pathname.startsWith(BASE_PATH) ? url.pathname.slice(BASE_PATH.length) : url.pathname,
        query: url.searchParams,
        status: 200,
      };
      calls.push(call);
      let status = 200;
      let payload: unknown;
      try {
        if (url.pathname.startsWith("/oauth2/")) {
          const answer = oauth(req, url, await readBody(req));
          call.status = answer.status;
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
          return;
        }
        if (!url.pathname.startsWith(BASE_PATH)) throw new ApiError(404, 7000, "No route for that URI");
        const result = await route(req, call.path, url.searchParams, await readBody(req));
        payload =
          result instanceof Paged
            ? { success: true, errors: [], messages: [], result: result.items, result_info: result.info }
            : { success: true, errors: [], messages: [], result };
      } catch (err) {
        status = err instanceof ApiError ? err.status : 500;
        const code = err instanceof ApiError ? err.code : 10000;
        payload = { success: false, errors: [{ code, message: (err as Error).message }], messages: [], result: null };
      }
      call.status = status;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

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
      return assetManifest;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
