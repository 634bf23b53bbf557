/**
 * Object keys are made by the server: `uploads/<owner>/<random id>/<filename>`. Nothing a client
 * sends can leave that prefix: the owner and the filename are each reduced to one safe path
 * segment (no separators, no dot-segments, no control or bidi characters).
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const MAX_NAME = 120;

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

/**
 * The owner's prefix. A `sub` may be any 1-128 characters, so it is escaped injectively (bytes
 * outside [A-Za-z0-9_-] become `~XX`): two users can never share a prefix, and `..` or `/`
 * cannot appear.
 */
export function ownerPrefix(sub: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(sub)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `~${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return `uploads/${out}/`;
}

export function newUploadKey(sub: string, filename: string): string {
  const id = crypto.randomUUID().replace(/-/g, "");
  return `${ownerPrefix(sub)}${id}/${sanitizeFilename(filename)}`;
}

export const isOwnedBy = (key: string, sub: string) => key.startsWith(ownerPrefix(sub));
