/**
 * Reads and discards what the handler left unread of a request body, up to `limit` bytes.
 *
 * A handler that answers early (401, 404, 405, 415, …) does not read the body. The runtime
 * then answers while the client is still sending, and closes the connection with bytes
 * unread, which resets it: the client may never see the answer ("socket hang up"), and in the
 * local server the unread stream surfaced as a 500 ("Network connection lost"). Draining a
 * body of ordinary size first lets the answer arrive intact. A body declared larger than
 * `limit` is left unread on purpose (refusing it without reading it is the point of the
 * limit), and so is anything past `limit`.
 */
export async function drainUnreadBody(request: Request, limit: number): Promise<void> {
  const body = request.body;
  if (body === null || request.bodyUsed || body.locked) return;
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= limit)) return;
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The client went away mid-body: nothing left to protect.
  }
}
