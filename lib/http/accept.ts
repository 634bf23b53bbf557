/**
 * True when the request's `Accept` names `media` (exactly, not through a wildcard) with a
 * quality above 0. For endpoints whose default answer is not JSON (a redirect) and that answer
 * JSON only when a client asks for it by name.
 *
 * @example
 * ```ts
 * if (accepts(request, "application/json")) return json({ url });
 * return new Response(null, { status: 302, headers: { location: url } });
 * ```
 */
export function accepts(request: Request, media: string): boolean {
  const header = request.headers.get("accept");
  if (header === null) return false;
  for (const entry of header.split(",")) {
    const [type, ...params] = entry.split(";");
    if (type!.trim().toLowerCase() !== media) continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
