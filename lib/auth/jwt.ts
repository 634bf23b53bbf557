import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config";
import { HttpError } from "../core/problem";
import { parseBearer } from "./bearer";

export interface User {
  /** The token's `sub`. */
  id: string;
  claims: JWTPayload;
}

export interface Authenticator {
  /**
   * `null` when the request carries no bearer token; throws 401 for a bad one, and 503 when
   * tokens cannot be checked right now (JWKS unreachable, or the JWKS settings incomplete).
   */
  authenticate(request: Request): Promise<User | null>;
  /** Throws the 503 of an incomplete JWKS configuration (so a route needing a user says why). */
  assertConfigured(): void;
}

/** Clock skew accepted on `exp` and `nbf`: a token is honoured up to 30 s past expiry or before nbf. */
const LEEWAY_SECONDS = 30;
/** A token must say who it is for and when it stops working: without either it is refused. */
const REQUIRED_CLAIMS = ["exp", "sub"];
const REALM = 'Bearer realm="routeflare"';
/** Seconds a client is asked to wait when the identity provider's keys are out of reach. */
const KEYS_RETRY_AFTER_SECONDS = 5;

export interface UnauthorizedOptions {
  /** What the client should know (also the challenge's error_description when a token was sent). */
  detail: string;
  /** A token was sent but refused (`error="invalid_token"`), rather than none sent at all. */
  tokenSent: boolean;
}

/**
 * The 401 problem with its `WWW-Authenticate: Bearer` challenge.
 *
 * @example
 * ```ts
 * throw unauthorized({ detail: "This endpoint needs a bearer token.", tokenSent: false });
 * ```
 */
export function unauthorized({ detail, tokenSent }: UnauthorizedOptions): HttpError {
  return new HttpError(401, {
    type: tokenSent ? "invalid-token" : "unauthenticated",
    detail,
    headers: {
      "www-authenticate": tokenSent ? `${REALM}, error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` : REALM,
    },
  });
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "The token has expired.";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return `The token has no "${err.claim}" claim; it is required.`;
    if (err.claim === "nbf") return "The token is not valid yet.";
    return `The token's "${err.claim}" claim is not accepted.`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The token's signature does not verify.";
  if (err instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  if (err instanceof errors.JWKSNoMatchingKey) return "No key matches the token.";
  return "The token is malformed or cannot be verified.";
}

/** The identity provider's key set could not be fetched or read: an outage, not a bad token. */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super("The JWKS could not be fetched or read.", { cause });
    this.name = "KeySetUnavailable";
  }
}

/**
 * Errors jose raises while choosing a key that are about the token itself (its `kid` or `alg`
 * matches no usable key); every other failure of the remote key set (network error, timeout,
 * non-200 answer, a body that is not a key set) is the provider's.
 */
const isTokenKeyError = (err: unknown) =>
  err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported;

/** A remote JWKS whose outages surface as KeySetUnavailable. */
function remoteKeySet(url: URL): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      throw isTokenKeyError(err) ? err : new KeySetUnavailable(err);
    }
  };
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * What keeps a JWKS configuration from being safe, or null when it is complete. A JWKS URL alone
 * would accept every token its provider issues for any application, so the issuer and audience
 * must be pinned; and keys fetched over plain HTTP could be swapped on the way, so the URL must
 * be https. The one exception: in development a loopback `http://` URL (localhost, 127.0.0.1,
 * [::1]) is allowed, for a local identity provider or a test's key server.
 */
export function jwksConfigurationProblem(auth: Config["auth"], development: boolean): string | null {
  if (auth.jwksUrl === undefined) return null;
  let url: URL;
  try {
    url = new URL(auth.jwksUrl);
  } catch {
    return "AUTH_JWKS_URL is not a valid URL.";
  }
  const loopbackInDevelopment = development && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !loopbackInDevelopment) return "AUTH_JWKS_URL must be an https:// URL.";
  if (auth.issuer === undefined) return "AUTH_ISSUER must be set when AUTH_JWKS_URL is set.";
  if (auth.audience === undefined) return "AUTH_AUDIENCE must be set when AUTH_JWKS_URL is set.";
  return null;
}

export interface AuthenticatorOptions {
  auth: Config["auth"];
  /** ENVIRONMENT=development (allows a loopback http JWKS URL). */
  development: boolean;
}

/**
 * Bearer-JWT verification with jose.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({ auth: config.auth, development: config.development }); // once per isolate
 * const user = await auth.authenticate(request);                                          // per request
 * ```
 *
 * HS256 tokens verify against `secret`; when `jwksUrl` is set, RS256/ES256 tokens verify
 * against that JWKS (fetched on first use, cached and refreshed by jose). The token header's
 * `alg` picks the key source, and each source only accepts its own algorithms, so an RS256
 * public key can never be used as an HMAC secret. Every token needs `exp` and `sub`.
 *
 * With an incomplete JWKS configuration (see jwksConfigurationProblem) no token is checked at
 * all: every request that presents one, or needs one, gets a 503 naming the missing setting,
 * until the operator fixes it. A JWKS that cannot be reached is a 503 with Retry-After too: a
 * valid token must not turn into a 401 because the provider is down.
 */
/** The token's `alg`; a token whose header cannot be read is a 401. */
function algorithmOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized({ detail: "The token is malformed.", tokenSent: true });
  }
}

/** Why a token was not accepted: a 401, unless the identity provider's keys were out of reach (503). */
function verificationFailure(err: unknown): HttpError {
  if (err instanceof KeySetUnavailable) {
    return new HttpError(503, {
      type: "auth-unavailable",
      detail: "The identity provider's signing keys cannot be fetched right now; retry shortly.",
      headers: { "retry-after": String(KEYS_RETRY_AFTER_SECONDS) },
      cause: err,
    });
  }
  return unauthorized({ detail: describe(err), tokenSent: true });
}

export function createAuthenticator({ auth, development }: AuthenticatorOptions): Authenticator {
  const problem = jwksConfigurationProblem(auth, development);
  const secret = auth.secret ? new TextEncoder().encode(auth.secret) : undefined;
  const jwks = auth.jwksUrl && !problem ? remoteKeySet(new URL(auth.jwksUrl)) : undefined;
  const common = {
    clockTolerance: LEEWAY_SECONDS,
    requiredClaims: REQUIRED_CLAIMS,
    ...(auth.issuer && { issuer: auth.issuer }),
    ...(auth.audience && { audience: auth.audience }),
  };

  const assertConfigured = () => {
    if (problem) {
      throw new HttpError(503, {
        type: "auth-not-configured",
        detail: `Authentication is not configured safely: ${problem} No token is accepted until it is.`,
      });
    }
  };

  const verify = async (token: string): Promise<JWTPayload> => {
    const alg = algorithmOf(token);
    try {
      if (alg === "HS256" && secret) {
        return (await jwtVerify(token, secret, { ...common, algorithms: ["HS256"] })).payload;
      }
      if ((alg === "RS256" || alg === "ES256") && jwks) {
        return (await jwtVerify(token, jwks, { ...common, algorithms: ["RS256", "ES256"] })).payload;
      }
    } catch (err) {
      throw verificationFailure(err);
    }
    throw unauthorized({ detail: "The token's algorithm is not accepted.", tokenSent: true });
  };

  return {
    assertConfigured,
    async authenticate(request) {
      const credentials = parseBearer(request.headers.get("authorization"));
      if (credentials.kind === "none") return null;
      assertConfigured();
      if (credentials.kind === "malformed") {
        throw unauthorized({ detail: "The Authorization header must be `Bearer <token>`, with one token.", tokenSent: true });
      }
      const claims = await verify(credentials.token);
      const sub = claims.sub;
      if (typeof sub !== "string" || sub.length < 1 || sub.length > 128) {
        throw unauthorized({ detail: 'The token has no valid "sub" claim (1-128 characters).', tokenSent: true });
      }
      return { id: sub, claims };
    },
  };
}
