// OpenNext's caching for the routes that use Next's cache (docs/caching.md):
// - incremental cache in R2 (binding NEXT_INC_CACHE_R2_BUCKET): the bodies `next build`
//   prerenders (`/api/openapi.json`) and those it regenerates (`/api/stats`, every 60 s);
// - a Durable Object queue (NEXT_CACHE_DO_QUEUE) that regenerates a stale route once, in the
//   background, by calling this Worker back through WORKER_SELF_REFERENCE.
// No tag cache: nothing calls revalidateTag/revalidatePath; add one (d1NextTagCache) with them.
import { defineCloudflareConfig } from "@opennextjs/cloudflare";
import r2IncrementalCache from "@opennextjs/cloudflare/overrides/incremental-cache/r2-incremental-cache";
import doQueue from "@opennextjs/cloudflare/overrides/queue/do-queue";

export default defineCloudflareConfig({
  incrementalCache: r2IncrementalCache,
  queue: doQueue,
});
