/**
 * The purge in every Cloudflare location: the Cache API keeps an entry only in the location
 * that stored it, and `cache.delete`/the local purge markers reach only that location. Entries
 * are stored with a `Cache-Tag` header, and Cloudflare's zone purge API removes every response
 * carrying a tag, in every location (`POST /zones/{zone}/purge_cache {"tags": [...]}`).
 *
 * It needs the zone the Worker is served on (a custom domain: the Cache API does nothing on
 * workers.dev) and an API token with that zone's Cache Purge permission. It runs after the
 * write's response (waitUntil): the location that took the write is already purged, the others
 * follow within seconds, or within the TTL when the purge fails (logged, never retried in a
 * loop: Cloudflare rate-limits purge requests per account).
 */
import type { Logger } from "../core/log";

export interface GlobalPurgeOptions {
  zoneId: string;
  apiToken: string;
  /** https://api.cloudflare.com/client/v4, or a local stand-in in tests. */
  apiBase: string;
}

/** At most this many tags per purge request (Cloudflare's per-request limit). */
const MAX_TAGS = 100;

export async function purgeEverywhere(options: GlobalPurgeOptions & { tags: readonly string[]; log: Logger }): Promise<void> {
  const { zoneId, apiToken, apiBase, tags, log } = options;
  try {
    const res = await fetch(`${apiBase.replace(/\/+$/, "")}/zones/${encodeURIComponent(zoneId)}/purge_cache`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ tags: tags.slice(0, MAX_TAGS) }),
    });
    const text = await res.text();
    if (!res.ok) {
      // 429: the account's purge rate limit; other locations converge within the TTL.
      log.error("edge cache global purge failed", { status: res.status, tags, response: text.slice(0, 500) });
      return;
    }
    log.info("edge cache purged in every location", { tags });
  } catch (err) {
    log.error("edge cache global purge failed", { tags, error: err instanceof Error ? err.message : String(err) });
  }
}
