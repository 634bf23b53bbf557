/**
 * The one place that reads the Worker's vars and secrets.
 *
 * Everything else receives a typed `Config`. It is resolved once per `env` object (an isolate
 * sees the same object on every request), so the per-request cost is one WeakMap lookup.
 */

/** Secrets are not in wrangler.toml, so `wrangler types` cannot know them: declared here. */
export interface Secrets {
  AUTH_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER?: string;
  AUTH_AUDIENCE?: string;
}

export type Env = CloudflareEnv & Secrets;

export type LogLevel = "error" | "warn" | "info" | "debug";

export interface Config {
  /** Dev-only conveniences (built-in dev secret, dev S3 endpoint, dev token) are on. */
  development: boolean;
  corsAllowedOrigins: readonly string[];
  maxJsonBytes: number;
  logLevel: LogLevel;
  auth: {
    /** HS256 secret; the built-in dev secret in development when none is set. */
    secret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
  };
}

/**
 * Signs local tokens when no AUTH_SECRET is configured. Public on purpose: it is only ever
 * accepted when ENVIRONMENT=development.
 */
export const DEV_AUTH_SECRET = "routeflare-local-development-secret-do-not-deploy";

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
  return {
    development,
    corsAllowedOrigins: list(env.CORS_ALLOWED_ORIGINS, ["http://localhost:3000", "http://localhost:8787"]),
    maxJsonBytes: positiveInt(env.MAX_JSON_BYTES, 1024 * 1024),
    logLevel: level && LOG_LEVELS.includes(level) ? level : "info",
    auth: {
      secret: str(env.AUTH_SECRET) ?? (development ? DEV_AUTH_SECRET : undefined),
      jwksUrl: str(env.AUTH_JWKS_URL),
      issuer: str(env.AUTH_ISSUER),
      audience: str(env.AUTH_AUDIENCE),
    },
  };
}
