/**
 * What every request of an isolate shares: configuration, the CORS policy, the JWT verifier,
 * the logger, the rate limiter, the edge cache and what the development fault switches do to a
 * D1 session, resolved once per `env` object (an isolate sees the same object on every request),
 * so the per-request cost is one WeakMap lookup.
 */
import { createAuthenticator, type Authenticator } from "../auth/jwt";
import { getConfig, type Config, type Env } from "../config";
import { cors, type CorsPolicy } from "./cors";
import { createLogger, type Logger } from "../core/log";
import { rateLimit, type RateLimiter } from "./rate-limit";
import { edgeCache, type EdgeCache } from "./edge-cache";
import { d1Faults, type SessionFaults } from "../faults/d1";

/** Per-isolate state, resolved once per `env` object. */
export interface Runtime {
  config: Config;
  cors: CorsPolicy;
  auth: Authenticator;
  log: Logger;
  limiter: RateLimiter;
  edgeCache: EdgeCache;
  /** Wraps each request's D1 session: the development fault switches (lib/faults/d1.ts), else the identity. */
  d1Faults: SessionFaults;
}
const runtimes = new WeakMap<object, Runtime>();

export function runtimeFor(env: Env): Runtime {
  let rt = runtimes.get(env);
  if (!rt) {
    const config = getConfig(env);
    const log = createLogger(config.logLevel);
    rt = {
      config,
      cors: cors({ origins: config.corsAllowedOrigins }),
      auth: createAuthenticator({ auth: config.auth, development: config.development }),
      log,
      limiter: rateLimit({ enabled: config.rateLimits, bindings: env, log }),
      edgeCache: edgeCache({ ...config.edgeCache, log }),
      d1Faults: d1Faults(config.faults),
    };
    runtimes.set(env, rt);
  }
  return rt;
}
