/** A JSON response (`application/json` unless the caller set another type). */
export function json(body: unknown, init: ResponseInit = {}): Response {
  const given = init.headers;
  // The common case (no headers, or a plain record without a content type) builds one record
  // and lets the Response constructor copy it once, instead of a Headers object edited twice.
  if (given === undefined || (isRecord(given) && !Object.keys(given).some((k) => k.toLowerCase() === "content-type"))) {
    return new Response(JSON.stringify(body), { ...init, headers: { "content-type": "application/json", ...given } });
  }
  const headers = new Headers(given);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { ...init, headers });
}

const isRecord = (h: HeadersInit): h is Record<string, string> => !Array.isArray(h) && !(h instanceof Headers);
