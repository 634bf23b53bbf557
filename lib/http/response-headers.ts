/** The headers every API response carries, set once the response is decided. */
import { cacheControl } from "./cache-control";
import type { Runtime } from "./runtime";

/**
 * The headers every API response carries: nosniff, the request id, a Cache-Control (`api`
 * unless the handler chose one), CORS for this request's Origin, and the newest D1 bookmark.
 */
export interface StampOptions {
  request: Request;
  requestId: string;
  rt: Runtime;
  /** The newest D1 bookmark this request knows, sent back as `x-d1-bookmark`. */
  bookmark: string | null;
}

export function stampResponse(response: Response, { request, requestId, rt, bookmark }: StampOptions): Response {
  response = withNosniff(response);
  const h = response.headers;
  h.set("x-request-id", requestId);
  if (!h.has("cache-control")) h.set("cache-control", cacheControl("api"));
  rt.cors.decorate(request, h);
  if (bookmark) h.set("x-d1-bookmark", bookmark);
  return response;
}

/** `X-Content-Type-Options: nosniff`: no browser ever sniffs JSON into HTML. */
function withNosniff(response: Response): Response {
  // Responses built by fetch() or Response.redirect() have immutable headers.
  try {
    response.headers.set("x-content-type-options", "nosniff");
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("x-content-type-options", "nosniff");
    return copy;
  }
}
