/**
 * An answer given without reading the request body (a 404, 405, 401 or 413 decided from the
 * method, path or headers alone) must still let the body arrive. workerd's local HTTP server
 * (wrangler dev, `npm start`, the test harness) otherwise drops the connection while the
 * client is still sending, and the client gets a 500 "Network connection lost" instead of the
 * answer. So whatever the Worker left unread is read and thrown away before the response is returned, up to
 * a bound; past it the rest is cancelled (a client that keeps sending more than that after
 * being answered gets its connection closed, which is fair).
 *
 * Not covered: non-GET requests to a static file's path (`/`, `/chat`, …) are answered 405 by the
 * platform's asset layer before the Worker runs, so a large chunked body sent there can still
 * see the local server drop the connection.
 */

/** How much of an unread body is drained before giving up on it. */
export const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

export async function drainUnreadBody(request: Request, limitBytes = DRAIN_LIMIT_BYTES): Promise<void> {
  const body = request.body;
  if (body === null || request.bodyUsed || body.locked) return;
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > limitBytes) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away: nothing left to drain.
  }
}
