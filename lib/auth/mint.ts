import { SignJWT } from "jose";

/**
 * What a locally minted token carries. Example:
 *
 *   await mintToken({ secret: config.auth.secret, sub: "alice", expires: "2h" });
 */
export interface MintOptions {
  /** The HS256 key: AUTH_SECRET (locally, without one, the checkout's DEV_SECRET). */
  secret: string;
  /** The `sub` claim: the user id the API sees. */
  sub: string;
  /** `exp`: a time span from now ("1h", "90s") or an absolute NumericDate (seconds). Default "1h". */
  expires?: string | number;
  /** `nbf`, in the same forms as `expires`. Unset by default. */
  notBefore?: string | number;
  /** `iss` and `aud`: set them when the Worker is configured to require them. */
  issuer?: string;
  audience?: string;
  /** Any further claims. */
  claims?: Record<string, unknown>;
}

/**
 * The one place that signs HS256 bearer tokens the Worker accepts: the dev token route,
 * `npm run token`, the benchmark and the tests all mint through it. Plain jose, no path aliases,
 * so Node scripts can import this file directly.
 */
export function mintToken(opts: MintOptions): Promise<string> {
  let jwt = new SignJWT({ ...opts.claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.sub)
    .setIssuedAt()
    .setExpirationTime(opts.expires ?? "1h");
  if (opts.notBefore !== undefined) jwt = jwt.setNotBefore(opts.notBefore);
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(opts.secret));
}
