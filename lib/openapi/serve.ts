import { cacheControl } from "../http/cache-control";
import { bodyEtag } from "../http/etag";
import { buildDocument, type ServedRoute } from "./document";

/**
 * The document of `routes` with its ETag. `next build` renders it once (app/api/openapi.json is static);
 * the Worker answers If-None-Match from that copy's ETag (worker/serve-cached.ts).
 */
export async function openApiResponse(routes: readonly ServedRoute[]): Promise<Response> {
  const body = JSON.stringify(buildDocument(routes));
  // Public and long-lived, but revalidated by ETag so a deploy shows up within the hour.
  const headers = { etag: await bodyEtag(body), "cache-control": cacheControl("document"), "content-type": "application/json" };
  return new Response(body, { headers });
}
