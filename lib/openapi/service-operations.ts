import * as z from "zod";
import { devTokenRequest } from "../auth/schemas";
import type { Operation } from "./operation";

const health = z.object({ status: z.enum(["ok", "error"]), db: z.enum(["ok", "error"]) });

export const serviceOperations: Operation[] = [
  {
    method: "get",
    path: "/api/health",
    summary: "Liveness and D1 readiness (never cached)",
    description: "Queries D1's migrated schema. Not rate-limited, so monitors can poll it.",
    tags: ["operations"],
    auth: "none",
    responses: {
      200: { description: "Healthy", schema: health },
      503: { description: "D1 cannot serve the migrated schema", schema: health, headers: { "Retry-After": "Seconds to wait (5)" } },
    },
  },
  {
    method: "get",
    path: "/api/openapi.json",
    summary: "This document: prerendered at build, served from the incremental cache (cacheable; ETag)",
    description:
      "Generated from the zod schemas that validate requests. It is rendered with no deployment's vars, so the upload limits show the defaults. " +
      "`Cache-Control: public, max-age=3600, stale-while-revalidate=86400`.",
    tags: ["operations"],
    auth: "none",
    responses: { 200: { description: "OpenAPI 3.1 document" }, 304: { description: "Not modified (If-None-Match)" } },
  },
  {
    method: "post",
    path: "/api/dev/token",
    summary: "Development only: a bearer token for the demo pages (404 unless ENVIRONMENT=development)",
    description:
      "Exists only while the Worker signs tokens with its development secret (ENVIRONMENT=development and no AUTH_SECRET); with a real AUTH_SECRET it is a 404, " +
      'so no endpoint mints tokens for a real secret. Without a body the token is for "demo-user"; it expires after 1 hour.',
    tags: ["development"],
    auth: "none",
    body: devTokenRequest,
    bodyRequired: false,
    responses: { 201: { description: "A token", schema: z.object({ token: z.string(), sub: z.string(), expiresAt: z.string() }) } },
    problems: [404],
  },
];
