/**
 * The one place that reads the Worker's vars and secrets.
 *
 * Everything else receives a typed `Config`. It is resolved once per `env` object (an isolate
 * sees the same object on every request), so the per-request cost is one WeakMap lookup.
 */

import type { LogLevel } from "./core/log";

/** The store's largest object (R2 and S3 agree): UPLOAD_MULTIPART_MAX_BYTES is capped at it. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** Secrets are not in wrangler.toml, so `wrangler types` cannot know them: declared here. */
export interface Secrets {
  /** "false" sends /api/* through Next's full pipeline (to compare, or to rule the lean path out). */
  ROUTEFLARE_LEAN_PATH?: string;
  AUTH_SECRET?: string;
  /**
   * Development only (ignored unless ENVIRONMENT=development): the random secret `npm start`
   * generated for this checkout (.wrangler/dev-secrets.json). It signs tokens, cursors and dev S3
   * URLs while AUTH_SECRET is unset.
   */
  DEV_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
  /** Signs pagination cursors; falls back to AUTH_SECRET (then DEV_SECRET in development). */
  CURSOR_SECRET?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  STANDARD_WEBHOOK_SECRET?: string;
  GITHUB_WEBHOOK_SECRET?: string;
  /** Days webhook_events rows are kept for duplicate detection (default 30, at least 7). */
  WEBHOOK_RETENTION_DAYS?: string;
  R2_ACCOUNT_ID?: string;
  R2_ACCESS_KEY_ID?: string;
  R2_SECRET_ACCESS_KEY?: string;
  R2_BUCKET_NAME?: string;
  R2_S3_ENDPOINT?: string;
  UPLOAD_ALLOWED_TYPES?: string;
  UPLOAD_MAX_BYTES?: string;
  UPLOAD_URL_TTL_SECONDS?: string;
  /** Largest multipart upload in bytes (default 5 GiB, at most 5 TiB: the store's object limit). */
  UPLOAD_MULTIPART_MAX_BYTES?: string;
  /**
   * Development only (ignored unless ENVIRONMENT=development): `on` makes every call to the
   * BUCKET binding throw, to show how the API answers when R2 is down (lib/faults/r2.ts): the
   * upload routes', the dev S3 endpoint's (where presigned URLs point without R2 credentials) and
   * the daily job's cleanup of uncompleted uploads. Calls through the store's S3 API (with R2
   * credentials) are not affected.
   */
  FAULT_R2?: string;
  CHAT_PROVIDER?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  CHAT_MODEL?: string;
  /** The SSE idle ping interval (default 15000). */
  CHAT_PING_INTERVAL_MS?: string;
  /** Local model knobs: pause between deltas, pause before the first, fail after N deltas. */
  CHAT_LOCAL_DELAY_MS?: string;
  CHAT_LOCAL_THINK_MS?: string;
  CHAT_LOCAL_FAIL_AFTER?: string;
  /** Longest wait for the model's next piece (first delta included) before an error frame (default 30000). */
  CHAT_PROVIDER_TIMEOUT_MS?: string;
  /** Development only: every D1 batch fails at this 1-based statement (lib/faults/d1.ts). */
  FAULT_D1_BATCH_STATEMENT?: string;
  /** Development only: `unavailable` makes every D1 call fail as an outage does (lib/faults/d1.ts). */
  FAULT_D1?: string;
  /** Development only: the first N D1 calls of every request fail as a transient outage does. */
  FAULT_D1_FAILURES?: string;
  /** Development only: every D1 call first waits this many ms, as a far-away database does. */
  FAULT_D1_LATENCY_MS?: string;
  /** `off` switches the edge cache of public post reads off (lib/http/edge-cache.ts); anything else is on. */
  EDGE_CACHE?: string;
  /** Seconds a stored public read is served fresh (default 60). */
  EDGE_CACHE_TTL_SECONDS?: string;
  /** Seconds past freshness a stored copy may still answer while D1 fails (default 86400). */
  EDGE_CACHE_STALE_IF_ERROR_SECONDS?: string;
  /** The zone (custom domain) whose cache a write purges in every location; with the token below. */
  EDGE_CACHE_PURGE_ZONE_ID?: string;
  /** A Cloudflare API token with the zone's Cache Purge permission. */
  EDGE_CACHE_PURGE_API_TOKEN?: string;
  /** Where the purge API lives (default https://api.cloudflare.com/client/v4); tests point it at a local server. */
  EDGE_CACHE_PURGE_API_BASE?: string;
  /** Workers AI binding, used when CHAT_PROVIDER=workers-ai. */
  AI?: Ai;
}

export type Env = CloudflareEnv & Secrets;

export type { LogLevel };

/** Development-only fault injection (lib/faults/ applies it); always off outside development. */
export interface FaultOptions {
  /** Fail every D1 batch at this 1-based statement; undefined = no fault. */
  d1BatchStatement: number | undefined;
  /** Fail this many D1 calls at the start of every request (Infinity: all of them); 0 = none. */
  d1Failures: number;
  /** Wait this many ms before every D1 call; 0 = none. */
  d1LatencyMs: number;
  /** Every call to the BUCKET binding throws: the upload routes', the dev S3 endpoint's, the daily job's. */
  r2Unavailable: boolean;
}

export interface Config {
  /** Dev-only conveniences (DEV_SECRET, dev S3 endpoint, dev token, fault switches) are on. */
  development: boolean;
  corsAllowedOrigins: readonly string[];
  maxJsonBytes: number;
  logLevel: LogLevel;
  /** `/api/*` is dispatched straight to the route modules (false: through Next's pipeline). */
  leanPath: boolean;
  /** Rate limits are enforced (RATE_LIMITS is anything but "off"). */
  rateLimits: boolean;
  auth: {
    /** HS256 secret: AUTH_SECRET, else (development only) this checkout's DEV_SECRET. */
    secret: string | undefined;
    /**
     * True while tokens are signed with the checkout's generated DEV_SECRET (development, no
     * AUTH_SECRET). Only then may anything hand out tokens over HTTP (the dev token route).
     */
    usesDevSecret: boolean;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
  };
  /** HMAC key material for pagination cursors. */
  cursorSecret: string | undefined;
  webhooks: {
    /** Every accepted Stripe endpoint secret (rotation: any may match). */
    stripeSecrets: readonly string[];
    standardSecrets: readonly string[];
    githubSecrets: readonly string[];
    /** Days an event id is remembered (the daily maintenance job prunes older rows). */
    retentionDays: number;
  };
  uploads: {
    allowedTypes: readonly string[];
    maxBytes: number;
    /** Largest multipart upload (bytes). */
    multipartMaxBytes: number;
    urlTtlSeconds: number;
    r2: {
      accountId: string | undefined;
      accessKeyId: string | undefined;
      secretAccessKey: string | undefined;
      bucketName: string;
      /** Overrides where presigned URLs point (any S3-compatible store, path-style). */
      s3Endpoint: string | undefined;
    };
  };
  chat: {
    provider: "local" | "openai" | "workers-ai";
    openaiApiKey: string | undefined;
    openaiBaseUrl: string;
    model: string | undefined;
    pingIntervalMs: number;
    /** Longest silence from the model (before its first delta or between two) before giving up. */
    providerTimeoutMs: number;
    local: { delayMs: number; thinkMs: number; failAfter: number | undefined };
  };
  /** The edge cache of anonymous public post reads (lib/http/edge-cache.ts, docs/caching.md). */
  edgeCache: {
    enabled: boolean;
    ttlSeconds: number;
    staleIfErrorSeconds: number;
    /** The purge in every location (Cloudflare's purge-by-tag API); undefined = this location only. */
    globalPurge: { zoneId: string; apiToken: string; apiBase: string } | undefined;
  };
  /** Development-only fault injection (lib/faults/); always off outside development. */
  faults: FaultOptions;
}

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = resolveConfig(env);
    cache.set(env, config);
  }
  return config;
}

function str(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function positiveInt(value: unknown, fallback: number): number {
  const n = Number(str(value));
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

function nonNegativeInt(value: unknown, fallback: number): number {
  const n = Number(str(value));
  return str(value) !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

function globalPurge(env: Env): Config["edgeCache"]["globalPurge"] {
  const zoneId = str(env.EDGE_CACHE_PURGE_ZONE_ID);
  const apiToken = str(env.EDGE_CACHE_PURGE_API_TOKEN);
  if (!zoneId || !apiToken) return undefined;
  return { zoneId, apiToken, apiBase: str(env.EDGE_CACHE_PURGE_API_BASE) ?? "https://api.cloudflare.com/client/v4" };
}

function list(value: unknown, fallback: readonly string[]): readonly string[] {
  const raw = str(value);
  if (raw === undefined) return fallback;
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export function resolveConfig(env: Env): Config {
  const development = str(env.ENVIRONMENT) === "development";
  const level = str(env.LOG_LEVEL) as LogLevel | undefined;
  // No secret the Worker signs with is ever a constant of the source: outside development there
  // is no fallback at all, and in development the fallback is generated per checkout.
  const devSecret = development ? str(env.DEV_SECRET) : undefined;
  return {
    development,
    corsAllowedOrigins: list(env.CORS_ALLOWED_ORIGINS, ["http://localhost:3000", "http://localhost:8787"]),
    maxJsonBytes: positiveInt(env.MAX_JSON_BYTES, 1024 * 1024),
    logLevel: level && LOG_LEVELS.includes(level) ? level : "info",
    leanPath: str(env.ROUTEFLARE_LEAN_PATH) !== "false",
    // Only an explicit "off" disables them: a typo must not silently remove the limits.
    rateLimits: str(env.RATE_LIMITS)?.toLowerCase() !== "off",
    auth: {
      secret: str(env.AUTH_SECRET) ?? devSecret,
      usesDevSecret: devSecret !== undefined && str(env.AUTH_SECRET) === undefined,
      jwksUrl: str(env.AUTH_JWKS_URL),
      issuer: str(env.AUTH_ISSUER),
      audience: str(env.AUTH_AUDIENCE),
    },
    cursorSecret: str(env.CURSOR_SECRET) ?? str(env.AUTH_SECRET) ?? devSecret,
    webhooks: {
      stripeSecrets: list(env.STRIPE_WEBHOOK_SECRET, []),
      standardSecrets: list(env.STANDARD_WEBHOOK_SECRET, []),
      githubSecrets: list(env.GITHUB_WEBHOOK_SECRET, []),
      retentionDays: positiveInt(env.WEBHOOK_RETENTION_DAYS, 30),
    },
    uploads: uploadsConfig(env),
    chat: chatConfig(env),
    edgeCache: edgeCacheConfig(env),
    faults: {
      d1LatencyMs: development ? nonNegativeInt(env.FAULT_D1_LATENCY_MS, 0) : 0,
      d1BatchStatement:
        development && str(env.FAULT_D1_BATCH_STATEMENT) !== undefined ? positiveInt(env.FAULT_D1_BATCH_STATEMENT, 1) : undefined,
      d1Failures: !development ? 0 : str(env.FAULT_D1) === "unavailable" ? Infinity : positiveInt(env.FAULT_D1_FAILURES, 0),
      r2Unavailable: development && str(env.FAULT_R2) === "on",
    },
  };
}

function uploadsConfig(env: Env): Config["uploads"] {
  return {
    allowedTypes: list(env.UPLOAD_ALLOWED_TYPES, ["image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain"]),
    maxBytes: positiveInt(env.UPLOAD_MAX_BYTES, 100 * 1024 * 1024),
    multipartMaxBytes: Math.min(positiveInt(env.UPLOAD_MULTIPART_MAX_BYTES, 5 * 1024 ** 3), MAX_OBJECT_BYTES),
    urlTtlSeconds: Math.min(positiveInt(env.UPLOAD_URL_TTL_SECONDS, 600), 604800),
    r2: {
      accountId: str(env.R2_ACCOUNT_ID),
      accessKeyId: str(env.R2_ACCESS_KEY_ID),
      secretAccessKey: str(env.R2_SECRET_ACCESS_KEY),
      bucketName: str(env.R2_BUCKET_NAME) ?? "routeflare-uploads",
      s3Endpoint: str(env.R2_S3_ENDPOINT),
    },
  };
}

function edgeCacheConfig(env: Env): Config["edgeCache"] {
  return {
    // Only an explicit "off" disables it, like RATE_LIMITS.
    enabled: str(env.EDGE_CACHE)?.toLowerCase() !== "off",
    ttlSeconds: positiveInt(env.EDGE_CACHE_TTL_SECONDS, 60),
    staleIfErrorSeconds: nonNegativeInt(env.EDGE_CACHE_STALE_IF_ERROR_SECONDS, 86400),
    globalPurge: globalPurge(env),
  };
}

function chatConfig(env: Env): Config["chat"] {
  return {
    provider: chatProvider(str(env.CHAT_PROVIDER)),
    openaiApiKey: str(env.OPENAI_API_KEY),
    openaiBaseUrl: str(env.OPENAI_BASE_URL) ?? "https://api.openai.com/v1",
    model: str(env.CHAT_MODEL),
    pingIntervalMs: positiveInt(env.CHAT_PING_INTERVAL_MS, 15000),
    providerTimeoutMs: positiveInt(env.CHAT_PROVIDER_TIMEOUT_MS, 30000),
    local: {
      delayMs: positiveInt(env.CHAT_LOCAL_DELAY_MS, 40),
      thinkMs: positiveInt(env.CHAT_LOCAL_THINK_MS, 0),
      failAfter: str(env.CHAT_LOCAL_FAIL_AFTER) === undefined ? undefined : positiveInt(env.CHAT_LOCAL_FAIL_AFTER, 0),
    },
  };
}

function chatProvider(value: string | undefined): Config["chat"]["provider"] {
  return value === "openai" || value === "workers-ai" ? value : "local";
}

/**
 * True while `next build` prerenders static and time-revalidated routes: in Node, before any
 * Worker exists, so with no bindings, no request and no data. Next marks the phase in
 * NEXT_PHASE (its documented build signal); on workerd it is never set. Read here because this
 * is the one module that reads the environment.
 */
export function isBuildPrerender(): boolean {
  // eslint-disable-next-line no-restricted-globals, no-restricted-syntax -- Next's build phase, not Worker configuration
  return typeof process !== "undefined" && process.env?.NEXT_PHASE === "phase-production-build";
}
