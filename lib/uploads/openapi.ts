import * as z from "zod";
import type { Operation } from "../openapi/operation";
import { completedUpload, completeUploadInput, createUploadDoc, presignedUpload } from "./schemas";

export const uploadOperations: Operation[] = [
  {
    method: "post",
    path: "/api/uploads",
    summary: "Get a presigned PUT URL to upload one file straight to R2",
    tags: ["uploads"],
    auth: "required",
    body: createUploadDoc,
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
