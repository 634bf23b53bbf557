/**
 * What each feature declares about its endpoints, next to its code (lib/<feature>/openapi.ts),
 * from the same zod schemas that validate the requests. lib/openapi/document.ts assembles them.
 */
import type * as z from "zod";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface OperationResponse {
  description: string;
  /** JSON body schema; omit for empty bodies. */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Operation {
  method: HttpMethod;
  /** OpenAPI path template, e.g. /api/posts/{id}. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: "none" | "optional" | "required";
  pathParams?: z.ZodObject;
  query?: z.ZodType;
  /** Request headers the operation reads (name → description). */
  headers?: Record<string, string>;
  body?: z.ZodType;
  /** Raw (non-JSON) request body, e.g. a signed webhook payload. */
  rawBody?: { contentType: string; description: string };
  responses: Record<number, OperationResponse>;
  /** Problem+json statuses besides the ones every operation can answer. */
  problems?: number[];
}
