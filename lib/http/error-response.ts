/** What a thrown error becomes: the answer, and the log line that explains it. */
import { serializeError, type Logger } from "../core/log";
import { HttpError, problemResponse } from "../core/problem";
import { isStorageUnavailable } from "./storage-errors";

/**
 * An HttpError is the answer it describes; it is logged when it has a cause or is a 5xx (the
 * operator must learn of every outage, even one a route turned into its own 503). Anything else
 * is logged in full and answered 503 + Retry-After when storage is unavailable (D1/R2 report a
 * transient failure), else 500; neither answer carries the error's text.
 */
export interface ErrorResponseOptions {
  requestId: string;
  /** The request's logger; the caller's user id is added when known. */
  log: Logger;
  userId?: string;
}

export function errorResponse(err: unknown, { requestId, log: requestLog, userId }: ErrorResponseOptions): Response {
  const log = userId ? requestLog.with({ userId }) : requestLog;
  if (err instanceof HttpError) {
    if (err.cause !== undefined || err.status >= 500)
      log.error("request failed", { status: err.status, type: err.init.type, error: serializeError(err.cause ?? err) });
    return problemResponse(err.status, err.init, requestId);
  }
  log.error("request failed", { error: serializeError(err) });
  if (isStorageUnavailable(err)) {
    return problemResponse(
      503,
      { type: "storage-unavailable", detail: "Storage is temporarily unavailable; retry shortly.", headers: { "retry-after": "1" } },
      requestId,
    );
  }
  return problemResponse(500, { type: "internal", detail: "An unexpected error occurred; it has been logged." }, requestId);
}
