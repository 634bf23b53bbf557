import type { Logger } from "../core/log";
import { HttpError } from "../core/problem";
import { isStorageUnavailable } from "./storage-errors";

/**
 * Runs a read-only request's handler, and once more when it failed because storage was briefly
 * unavailable (D1's transient errors: a lost connection, an object reset, an overloaded
 * database). A read changes nothing, so trying it again is safe and usually answers the client
 * instead of a 503; a second failure is the 503. Writes never come here: a write that failed
 * this way may still have been applied. An answer the handler decided itself (an HttpError,
 * including a route's own 503) is never retried.
 *
 * @example
 * ```ts
 * const response = await retryingRead(() => handler(c), { log: c.log });
 * ```
 */
export async function retryingRead(read: () => Response | Promise<Response>, options: { log: Logger }): Promise<Response> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof HttpError || !isStorageUnavailable(err)) throw err;
    options.log.warn("read failed transiently; retrying once", { error: err instanceof Error ? err.message : String(err) });
    return await read();
  }
}
