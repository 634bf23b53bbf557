/**
 * Reads `Authorization: Bearer <token>` (RFC 6750 §2.1) in one left-to-right pass over the
 * header, without a regular expression: every character is looked at at most once, so a
 * hostile header (long runs of spaces, 8 KB values) costs time linear in its length.
 *
 * The scheme name is case-insensitive and followed by one or more spaces, then the token (any
 * run of non-whitespace characters: the JWT verifier decides whether it is a token), then
 * nothing but optional trailing whitespace.
 */
export type BearerCredentials =
  /** No Authorization header, or another scheme (`Basic …`): the request carries no bearer token. */
  | { kind: "none" }
  /** The Bearer scheme without a usable token: nothing after it, or more than one word. */
  | { kind: "malformed" }
  | { kind: "token"; token: string };

const SCHEME = "bearer";

const isWhitespace = (code: number) => code === 0x20 || code === 0x09;
const isWordChar = (code: number) =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;

export function parseBearer(header: string | null): BearerCredentials {
  if (header === null || header.length < SCHEME.length) return { kind: "none" };
  if (header.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return { kind: "none" };
  const n = header.length;
  let i = SCHEME.length;
  // "Bearerx…" is another scheme's name, not Bearer.
  if (i < n && isWordChar(header.charCodeAt(i))) return { kind: "none" };

  const afterScheme = i;
  while (i < n && header.charCodeAt(i) === 0x20) i++;
  if (i === afterScheme) return { kind: "malformed" }; // "Bearer" alone, or not followed by a space

  const start = i;
  while (i < n && !isWhitespace(header.charCodeAt(i))) i++;
  const end = i;
  while (i < n && isWhitespace(header.charCodeAt(i))) i++;
  // Anything after the token's trailing whitespace is a second word: not one bearer token.
  if (end === start || i !== n) return { kind: "malformed" };
  return { kind: "token", token: header.slice(start, end) };
}
