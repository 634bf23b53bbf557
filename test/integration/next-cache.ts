/**
 * Fills Next's incremental cache (the R2 binding NEXT_INC_CACHE_R2_BUCKET) with what the build
 * prerendered, as `opennextjs-cloudflare populateCache` does for `npm start` and deploys: same
 * files (.open-next/cache), same keys (`incremental-cache/<buildId>/<sha256(key)>.cache`).
 */
import { createHash } from "node:crypto";
import { globSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const CACHE_DIR = join(process.cwd(), ".open-next", "cache");

let entries: { key: string; body: string }[] | undefined;

/** Read once per test file: the build does not change while tests run. */
export function buildCacheEntries(): { key: string; body: string }[] {
  return (entries ??= globSync("**/*.cache", { cwd: CACHE_DIR }).map((file) => {
    const [buildId, ...parts] = relative(".", file).split(sep);
    const key = "/" + parts.join("/").slice(0, -".cache".length);
    const hash = createHash("sha256").update(key).digest("hex");
    return { key: `incremental-cache/${buildId}/${hash}.cache`, body: readFileSync(join(CACHE_DIR, file), "utf8") };
  }));
}

export async function populateIncrementalCache(bucket: R2Bucket) {
  for (const { key, body } of buildCacheEntries()) await bucket.put(key, body);
}
