/**
 * Conditional requests (RFC 9110 §13): `If-None-Match` uses weak comparison, `If-Match` strong.
 */

function parseEtags(header: string): string[] {
  return header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const opaque = (tag: string) => (tag.startsWith("W/") ? tag.slice(2) : tag);

/** True when `If-None-Match` matches `etag` (so a GET may answer 304). */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const tags = parseEtags(header);
  return tags.includes("*") || tags.some((t) => opaque(t) === opaque(etag));
}

/** True when an `If-Match` header is present and does not match `etag` (answer 412). */
export function ifMatchFails(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const tags = parseEtags(header);
  if (tags.includes("*")) return false;
  // Strong comparison: a weak tag never matches.
  return !tags.some((t) => !t.startsWith("W/") && t === etag);
}

/**
 * The 304 for a GET whose `If-None-Match` matches the representation's ETag (in `headers`),
 * carrying the headers the 200 would have had; null when the client must get the body.
 *
 * @example
 * ```ts
 * return notModified(c.request, headers) ?? json(body, { headers });
 * ```
 */
export function notModified(request: Request, headers: Record<string, string>): Response | null {
  const etag = headers.etag ?? headers.ETag;
  if (etag === undefined || !ifNoneMatchHits(request.headers.get("if-none-match"), etag)) return null;
  return new Response(null, { status: 304, headers });
}
