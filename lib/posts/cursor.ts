/**
 * Keyset pagination cursors: the last row's (createdAt, id) plus the list they belong to,
 * HMAC-SHA256-signed so a client can neither forge a position nor move a cursor to another
 * list (another user's drafts). Anything that does not verify is a 400, never a 500.
 */
import { base64UrlToBytes, bytesToBase64Url } from "../core/encoding";
import { badRequest } from "../core/problem";

export interface CursorPosition {
  /** Which list: "published" or "drafts:<userId>". */
  scope: string;
  createdAt: number;
  id: string;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(`routeflare-cursor:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** 128 bits of the HMAC: plenty against forgery, and a shorter URL. */
const SIG_BYTES = 16;

export async function encodeCursor(position: CursorPosition, secret: string): Promise<string> {
  const payload = encoder.encode(JSON.stringify([position.scope, position.createdAt, position.id]));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), payload)).slice(0, SIG_BYTES);
  return `${bytesToBase64Url(payload)}.${bytesToBase64Url(sig)}`;
}

const invalid = () =>
  badRequest({
    detail: "cursor is not valid: pass nextCursor from a previous page unchanged.",
    errors: { cursor: ["Invalid cursor."] },
    type: "invalid-cursor",
  });

export async function decodeCursor(cursor: string, expectedScope: string, secret: string): Promise<CursorPosition> {
  const [p, s, extra] = cursor.split(".");
  const payload = p ? base64UrlToBytes(p) : null;
  const sig = s ? base64UrlToBytes(s) : null;
  if (extra !== undefined || !payload || !sig || sig.length !== SIG_BYTES) throw invalid();
  const full = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), payload));
  // Constant-time compare of the truncated MAC.
  let diff = 0;
  for (let i = 0; i < SIG_BYTES; i++) diff |= full[i]! ^ sig[i]!;
  if (diff !== 0) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [scope, createdAt, id] = parsed as unknown[];
  if (scope !== expectedScope || typeof createdAt !== "number" || !Number.isSafeInteger(createdAt) || typeof id !== "string")
    throw invalid();
  return { scope, createdAt, id };
}
