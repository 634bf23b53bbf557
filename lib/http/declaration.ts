/**
 * What an endpoint declares, once: who may call it, what it counts against, what it accepts
 * (the zod schemas the pipeline validates with) and what it answers, with its OpenAPI text. The
 * route pipeline validates by it and applies its rate-limit policy; lib/openapi assembles the
 * document from the declarations of the routes the Worker serves (the path is the route's
 * folder, the method the key it is declared under).
 */
import type * as z from "zod";
import type { Config } from "../config";
import type { RoutePolicyName } from "./rate-limit-policies";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** The document's tags, in the order tools list them; an operation can only use these. */
export const TAGS = {
  operations: "Health, this document and the cached stats snapshot.",
  posts: "Posts on D1: keyset-paginated lists, ETags and preconditions, idempotent creation.",
  webhooks: "Signed webhooks (Stripe, Standard Webhooks, GitHub), verified on their raw bytes and recorded once per event.",
  chat: "A chat reply streamed as Server-Sent Events.",
  uploads: "Uploads straight to R2 (a presigned PUT, or a resumable multipart upload), and downloads of verified objects.",
  development: "Development only (404 in production): tokens for the demo pages and the local S3-compatible store.",
} as const;

export type Tag = keyof typeof TAGS;

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

export interface Declaration {
  /** One line: what the operation does. */
  summary: string;
  /** What a client needs beyond the summary (rules, statuses, side effects); never a repeat of it. */
  description: string;
  tags: Tag[];
  /** `required`: the pipeline answers 401 before anything else and hands the handler the user. */
  auth: "none" | "optional" | "required";
  /**
   * The per-user rate-limit policy this endpoint's writes (POST/PUT/PATCH/DELETE by an
   * authenticated caller) count against; its other requests count against the `authenticated`
   * or `anonymous` policy. `false`: never limited (webhook senders, health monitors, the dev
   * store). Default: limited, with no policy of its own.
   */
  rateLimit?: RoutePolicyName | false;
  /** The path parameters, named as the route's folder names them (`[id]` → `id`). */
  params?: z.ZodObject;
  /**
   * Query parameters as the server validates them. Each is documented by the type it decodes to
   * (a digit string piped into an integer range is documented as that integer range).
   */
  query?: z.ZodType;
  /** Request headers the operation reads (name → description, or a HeaderParam the pipeline validates). */
  headers?: Record<string, string | HeaderParam>;
  /** The JSON body's schema, or one made from the configuration (limits that are vars). */
  body?: z.ZodType | ((config: Config) => z.ZodType);
  /** False when the body may be left out altogether (no Content-Type; default true). */
  bodyRequired?: boolean;
  /** Raw (non-JSON-parsed) request body, e.g. a signed webhook payload, verified on its bytes. */
  rawBody?: { contentType: string; description: string; schema?: z.ZodType };
  responses: Record<number, OperationResponse>;
  /**
   * Problem+json statuses besides the ones every operation can answer and the ones its inputs
   * imply (400 for a body, a query or a validated header; 401 for auth; 413/415 for a body).
   */
  problems?: number[];
}

/** A declaration where the document puts it: its method and OpenAPI path template (`/api/posts/{id}`). */
export interface Operation extends Declaration {
  method: HttpMethod;
  path: string;
}
