import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config";
import { HttpError } from "../http/problem";

export interface User {
  /** The token's `sub`. */
  id: string;
  claims: JWTPayload;
}

export interface Authenticator {
  /** `null` when the request carries no bearer token; throws 401 for a bad one. */
  authenticate(request: Request): Promise<User | null>;
}

/** Clock skew accepted on `exp` and `nbf`: a token is honoured up to 30 s past expiry or before nbf. */
const LEEWAY_SECONDS = 30;
const REALM = 'Bearer realm="routeflare"';

export function unauthorized(detail: string, tokenSent: boolean): HttpError {
  return new HttpError(401, {
    type: tokenSent ? "invalid-token" : "unauthenticated",
    detail,
    headers: {
      "www-authenticate": tokenSent ? `${REALM}, error="invalid_token", error_description="${detail.replace(/"/g, "'")}"` : REALM,
    },
  });
}

function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  const match = /^Bearer[ ]+(\S*)\s*$/i.exec(header);
  // Another scheme (Basic …) is not a bearer token: treated as no token at all.
  if (!match) return /^Bearer\b/i.test(header) ? "" : undefined;
  return match[1] ?? "";
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "The token has expired.";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return "The token is not valid yet.";
    return `The token's "${err.claim}" claim is not accepted.`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "The token's signature does not verify.";
  if (err instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  if (err instanceof errors.JWKSNoMatchingKey) return "No key matches the token.";
  return "The token is malformed or cannot be verified.";
}

/**
 * Bearer-JWT verification with jose.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator(config.auth);   // once per isolate
 * const user = await auth.authenticate(request);   // per request
 * ```
 *
 * HS256 tokens verify against `secret`; when `jwksUrl` is set, RS256/ES256 tokens verify
 * against that JWKS (fetched on first use, cached and refreshed by jose). The token header's
 * `alg` picks the key source, and each source only accepts its own algorithms, so an RS256
 * public key can never be used as an HMAC secret.
 */
export function createAuthenticator(auth: Config["auth"]): Authenticator {
  const secret = auth.secret ? new TextEncoder().encode(auth.secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = auth.jwksUrl ? createRemoteJWKSet(new URL(auth.jwksUrl)) : undefined;
  const common = {
    clockTolerance: LEEWAY_SECONDS,
    ...(auth.issuer && { issuer: auth.issuer }),
    ...(auth.audience && { audience: auth.audience }),
  };

  const verify = async (token: string): Promise<JWTPayload> => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthorized("The token is malformed.", true);
    }
    try {
      if (alg === "HS256" && secret) {
        return (await jwtVerify(token, secret, { ...common, algorithms: ["HS256"] })).payload;
      }
      if ((alg === "RS256" || alg === "ES256") && jwks) {
        return (await jwtVerify(token, jwks, { ...common, algorithms: ["RS256", "ES256"] })).payload;
      }
    } catch (err) {
      throw unauthorized(describe(err), true);
    }
    throw unauthorized("The token's algorithm is not accepted.", true);
  };

  return {
    async authenticate(request) {
      const token = bearerToken(request);
      if (token === undefined) return null;
      if (token === "") throw unauthorized("The bearer token is empty.", true);
      const claims = await verify(token);
      const sub = claims.sub;
      if (typeof sub !== "string" || sub.length < 1 || sub.length > 128) {
        throw unauthorized('The token has no valid "sub" claim (1-128 characters).', true);
      }
      return { id: sub, claims };
    },
  };
}
