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

/** A request header: its description, and the schema the server validates it with, if any. */
export interface HeaderParam {
  description: string;
  /** Documented as `{ type: "string" }` when absent. */
  schema?: z.ZodType;
  /** Leaving it out is refused (400). Default false. */
  required?: boolean;
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
  /**
   * Query parameters as the server validates them. Each is documented by the type it decodes to
   * (a digit string piped into an integer range is documented as that integer range).
   */
  query?: z.ZodType;
  /** Request headers the operation reads (name → description, or a HeaderParam). */
  headers?: Record<string, string | HeaderParam>;
  /** The JSON body's validating schema (the same object the route passes to parseJson). */
  body?: z.ZodType;
  /** False when the body may be left out altogether (default true). */
  bodyRequired?: boolean;
  /** Raw (non-JSON-parsed) request body, e.g. a signed webhook payload, verified on its bytes. */
  rawBody?: { contentType: string; description: string; schema?: z.ZodType };
  responses: Record<number, OperationResponse>;
  /** Problem+json statuses besides the ones every operation can answer. */
  problems?: number[];
}
