import type { Declaration } from "../http/declaration";
import { stats } from "./schemas";

export const statsSnapshot = {
  summary: "Published-post count, time-revalidated (60 s) from the incremental cache",
  description:
    "Served from OpenNext's incremental cache: within a 60 s window every caller gets the same body (same `updatedAt`, same ETag). " +
    "The first request after the window still gets the cached body while the snapshot is regenerated in the background (stale-while-revalidate); " +
    "`x-nextjs-cache` tells HIT, STALE or MISS.",
  tags: ["operations"],
  auth: "none",
  headers: { "If-None-Match": "ETag of a snapshot the client holds (304 when current)" },
  responses: {
    200: {
      description: "The current snapshot",
      schema: stats,
      headers: { ETag: "Version of the snapshot", "x-nextjs-cache": "HIT, STALE or MISS" },
    },
    304: { description: "Not modified" },
  },
} satisfies Declaration;
