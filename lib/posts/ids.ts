/**
 * Post ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford base32, 26 chars).
 * Opaque to clients, sortable by creation time, and cheap to validate before touching D1.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function newPostId(now = Date.now()): string {
  let time = "";
  for (let i = 0, t = now; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  const random = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (let i = 0; i < 16; i++) rand += ALPHABET[random[i]! % 32];
  return time + rand;
}

/** Anything else cannot be a post: answer 404 without a query. */
export const isPostId = (value: string) => ID_PATTERN.test(value);
