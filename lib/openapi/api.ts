/** What the service endpoints declare: health, and this document itself. */
import * as z from "zod";
import type { Declaration } from "../http/declaration";

const healthBody = z.object({ status: z.enum(["ok", "error"]), db: z.enum(["ok", "error"]) });

export const health = {
  summary: "Liveness and D1 readiness (never cached)",
  description: "Queries D1's migrated schema. Not rate-limited, so monitors can poll it.",
  tags: ["operations"],
  auth: "none",
  rateLimit: false,
  responses: {
    200: { description: "Healthy", schema: healthBody },
    503: { description: "D1 cannot serve the migrated schema", schema: healthBody, headers: { "Retry-After": "Seconds to wait (5)" } },
  },
} satisfies Declaration;

export const openApiDocument = {
  summary: "This document: prerendered at build, served from the incremental cache (cacheable; ETag)",
  description:
    "Generated from the zod schemas that validate requests. It is rendered with no deployment's vars, so the upload limits show the defaults. " +
    "`Cache-Control: public, max-age=3600, stale-while-revalidate=86400`.",
  tags: ["operations"],
  auth: "none",
  responses: { 200: { description: "OpenAPI 3.1 document" }, 304: { description: "Not modified (If-None-Match)" } },
} satisfies Declaration;
