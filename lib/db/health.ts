import type { Logger } from "../http/log";
import { serializeError } from "../http/log";

/** One trivial query: "ok", or "error" (logged) when D1 cannot answer. */
export async function checkDatabase(d1: D1Database | D1DatabaseSession, log: Logger): Promise<"ok" | "error"> {
  try {
    const row = await d1.prepare("SELECT 1 AS ok").first<{ ok: number }>();
    return row?.ok === 1 ? "ok" : "error";
  } catch (err) {
    log.error("health check: D1 failed", { error: serializeError(err) });
    return "error";
  }
}
