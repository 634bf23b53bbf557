import * as z from "zod";
import { resolveConfig, type Env } from "../config";
import type { Operation } from "../openapi/operation";
import { completedUpload, completeUploadInput, createUploadInput, presignedUpload } from "./schemas";

// The document is rendered at build time, with no deployment's vars: it shows the defaults.
const defaults = resolveConfig({} as Env).uploads;

export const uploadOperations: Operation[] = [
  {
    method: "post",
    path: "/api/uploads",
    summary: "Get a presigned PUT URL to upload one file straight to R2",
    description:
      "`contentType` and `size` are shown with the default limits; a deployment changes them with UPLOAD_ALLOWED_TYPES (comma-separated) and UPLOAD_MAX_BYTES.",
    tags: ["uploads"],
    auth: "required",
    body: createUploadInput(defaults.allowedTypes, defaults.maxBytes),
    responses: { 201: { description: "Where and how to PUT the file (send exactly `headers`)", schema: presignedUpload } },
    problems: [503],
  },
  {
    method: "post",
    path: "/api/uploads/complete",
    summary: "Confirm an upload: the object must exist and match the declared size and type",
    tags: ["uploads"],
    auth: "required",
    body: completeUploadInput,
    responses: { 200: { description: "The stored object", schema: completedUpload } },
    problems: [403, 404, 422],
  },
  {
    method: "get",
    path: "/api/uploads/{key}",
    summary: "Download your upload: 302 to a short-lived presigned GET",
    tags: ["uploads"],
    auth: "required",
    pathParams: z.object({ key: z.string().describe("The object key (uploads/<owner>/<id>/<name>), slashes included") }),
    responses: { 302: { description: "Redirect to the presigned URL", headers: { Location: "Presigned GET URL (5 minutes)" } } },
    problems: [403, 404],
  },
  {
    method: "put",
    path: "/api/dev-s3/{path}",
    summary: "Development only: S3-compatible PUT checked by SigV4 query signature (404 in production)",
    tags: ["development"],
    auth: "none",
    pathParams: z.object({ path: z.string().describe("<bucket>/<key>") }),
    rawBody: { contentType: "application/octet-stream", description: "The file, with the signed Content-Type" },
    responses: { 200: { description: "Stored", headers: { ETag: "Object ETag" } } },
    problems: [403, 404, 411, 413],
  },
  {
    method: "get",
    path: "/api/dev-s3/{path}",
    summary: "Development only: S3-compatible GET checked by SigV4 query signature (404 in production)",
    tags: ["development"],
    auth: "none",
    pathParams: z.object({ path: z.string().describe("<bucket>/<key>") }),
    responses: { 200: { description: "The object's bytes", contentType: "application/octet-stream" } },
    problems: [403, 404],
  },
];
