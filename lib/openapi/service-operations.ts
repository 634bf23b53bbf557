import * as z from "zod";
import { devTokenRequest } from "../auth/schemas";
import type { Operation } from "./operation";

const health = z.object({ status: z.enum(["ok", "error"]), db: z.enum(["ok", "error"]) });

export const serviceOperations: Operation[] = [
  {
    method: "get",
    path: "/api/health",
    summary: "Liveness and D1 readiness (never cached)",
    tags: ["operations"],
    auth: "none",
    responses: { 200: { description: "Healthy", schema: health }, 503: { description: "D1 cannot serve the migrated schema", schema: health } },
  },
  {
    method: "get",
    path: "/api/openapi.json",
    summary: "This document: prerendered at build, served from the incremental cache (cacheable; ETag)",
    tags: ["operations"],
    auth: "none",
    responses: { 200: { description: "OpenAPI 3.1 document" }, 304: { description: "Not modified (If-None-Match)" } },
  },
  {
    method: "post",
    path: "/api/dev/token",
    summary: "Development only: a bearer token for the demo pages (404 unless ENVIRONMENT=development)",
    tags: ["development"],
    auth: "none",
    body: devTokenRequest,
    bodyRequired: false,
    responses: { 201: { description: "A token", schema: z.object({ token: z.string(), sub: z.string(), expiresAt: z.string() }) } },
    problems: [404],
  },
];
