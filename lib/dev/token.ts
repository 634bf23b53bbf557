import { mintToken } from "../auth/mint";

/** A short-lived HS256 token for local development (the demo pages, `curl`). */
export async function signDevToken(
  secret: string,
  sub: string,
  ttlSeconds = 3600,
): Promise<{ token: string; sub: string; expiresAt: string }> {
  const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await mintToken({ secret, sub, expires: exp });
  return { token, sub, expiresAt: new Date(exp * 1000).toISOString() };
}
