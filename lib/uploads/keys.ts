/**
 * Object keys are made by the server: `uploads/<owner>/<random id>/<filename>`. Nothing a client
 * sends can leave that prefix: the owner and the filename are each reduced to one safe path
 * segment (no separators, no dot-segments, no control or bidi characters).
 *
 * Every key that comes back in (download path, `complete`, multipart calls, the dev S3 endpoint)
 * must parse as exactly that shape, or it is refused before the store is asked anything. The
 * shape has no `.` at the start of any segment and no percent sign, so no URL normalisation can
 * turn the key that was checked into another key that gets signed.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const MAX_NAME = 120;
/** A `sub` is at most 128 UTF-16 units, so at most 384 UTF-8 bytes, each at most 3 characters escaped. */
const MAX_OWNER = 384 * 3;
/** R2 refuses keys over 1024 bytes; every key this server makes is shorter. */
export const MAX_KEY_LENGTH = 1024;

/** One safe segment of [A-Za-z0-9._-], no leading dots, at most `max` characters. */
function segment(value: string, max: number, fallback: string): string {
  const ascii = value
    .normalize("NFKC")
    .replace(UNSAFE, "")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^[._]+/, "")
    .replace(/[_]+$/, "");
  if (ascii.length <= max) return ascii || fallback;
  // Keep the extension when shortening: "very-long….pdf" stays a .pdf.
  const dot = ascii.lastIndexOf(".");
  const ext = dot > 0 && ascii.length - dot <= 10 ? ascii.slice(dot) : "";
  return ascii.slice(0, max - ext.length) + ext;
}

export const sanitizeFilename = (name: string) => segment(name, MAX_NAME, "file");

/** `sub` escaped injectively: bytes outside [A-Za-z0-9_-] become `~XX`. */
function ownerSegment(sub: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(sub)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `~${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The owner's prefix. A `sub` may be any 1-128 characters, so it is escaped injectively: two
 * users can never share a prefix, and `..` or `/` cannot appear.
 */
export const ownerPrefix = (sub: string) => `uploads/${ownerSegment(sub)}/`;

export function newUploadKey(sub: string, filename: string): string {
  const id = crypto.randomUUID().replace(/-/g, "");
  return `${ownerPrefix(sub)}${id}/${sanitizeFilename(filename)}`;
}

export interface UploadKey {
  key: string;
  /** The escaped owner segment. */
  owner: string;
  id: string;
}

// Linear: every alternative starts with a different character, so nothing backtracks.
const KEY_SHAPE = new RegExp(
  `^uploads/((?:[A-Za-z0-9_-]|~[0-9A-F]{2}){1,${MAX_OWNER}})/([0-9a-f]{32})/([A-Za-z0-9-][A-Za-z0-9._-]{0,${MAX_NAME - 1}})$`,
);

/** The key, when it has exactly the shape this server makes; null for anything else. */
export function parseUploadKey(key: string): UploadKey | null {
  if (key.length > MAX_KEY_LENGTH) return null;
  const m = KEY_SHAPE.exec(key);
  return m ? { key, owner: m[1]!, id: m[2]! } : null;
}

export const isOwnedBy = (key: UploadKey, sub: string) => key.owner === ownerSegment(sub);
