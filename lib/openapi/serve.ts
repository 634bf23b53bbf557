import { cacheControl } from "../http/cache";
import { buildDocument } from "./document";

/** Built once per isolate: the document only changes with a deploy. */
let cached: Promise<{ body: string; etag: string }> | undefined;

async function documentOnce() {
  const body = JSON.stringify(buildDocument());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const etag = `"${Array.from(digest.slice(0, 12), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
  return { body, etag };
}

export async function openApiResponse(notModified: (etag: string) => boolean): Promise<Response> {
  const { body, etag } = await (cached ??= documentOnce());
  // Public and long-lived, but revalidated by ETag so a deploy shows up within the hour.
  const headers = { etag, "cache-control": cacheControl("document") };
  if (notModified(etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { headers: { ...headers, "content-type": "application/json" } });
}
