import type { Logger } from "../core/log";
import { serializeError } from "../core/log";

/**
 * "ok" when D1 answers and the schema is migrated (the migrations table wrangler keeps is
 * readable); "error" (logged) otherwise: a database the API cannot use is not healthy.
 */
export async function checkDatabase(d1: D1Database | D1DatabaseSession, log: Logger): Promise<"ok" | "error"> {
  try {
    const row = await d1.prepare("SELECT count(*) AS n FROM d1_migrations").first<{ n: number }>();
    return typeof row?.n === "number" && row.n > 0 ? "ok" : "error";
  } catch (err) {
    log.error("health check: D1 failed", { error: serializeError(err) });
    return "error";
  }
}
