import * as z from "zod";
import { resolveConfig, type Env } from "../config";
import type { Operation } from "../openapi/operation";
import {
  completedUpload,
  completeMultipartInput,
  completeUploadInput,
  createUploadInput,
  downloadLinkSchema,
  multipartCreated,
  multipartListing,
  multipartQuery,
  presignedUpload,
  signedParts,
  signPartsInput,
  uploadLimitsSchema,
} from "./schemas";

// The document is rendered at build time, with no deployment's vars: it shows the defaults.
const defaults = resolveConfig({} as Env).uploads;

/** What every call on a multipart upload can be refused for, beyond its fields. */
const multipartRefusals =
  "403 when the upload is another user's (the answer names neither key nor upload id); 404 for an unknown, aborted or mismatched `uploadId`";

/** The development store, whichever S3 call it serves. */
const devS3 =
  "Exists only with ENVIRONMENT=development and no R2 credentials: the local S3-compatible store that presigned URLs then point at, on the `BUCKET` binding. " +
  "It recomputes the SigV4 query signature over the canonical request S3 uses and checks access key, scope and expiry: any mismatch is a 403.";

export const uploadOperations: Operation[] = [
  {
    method: "get",
    path: "/api/uploads/limits",
    summary: "What this deployment accepts: content types and maximum sizes",
    description: "Read before sending anything (the uploads page shows it up front); the values are this deployment's, not the defaults.",
    tags: ["uploads"],
    auth: "none",
    responses: { 200: { description: "The upload limits", schema: uploadLimitsSchema } },
  },
  {
    method: "post",
    path: "/api/uploads",
    summary: "Get a presigned PUT URL to upload one file straight to R2",
    description:
      "`contentType` and `size` are shown with the default limits; a deployment changes them with UPLOAD_ALLOWED_TYPES (comma-separated) and UPLOAD_MAX_BYTES.",
    tags: ["uploads"],
    auth: "required",
    body: createUploadInput({ allowedTypes: defaults.allowedTypes, maxBytes: defaults.maxBytes }),
    responses: { 201: { description: "Where and how to PUT the file (send exactly `headers`)", schema: presignedUpload } },
    problems: [503],
  },
  {
    method: "post",
    path: "/api/uploads/complete",
    summary: "Confirm an upload: the object must exist and match the declared size and type",
    description:
      "Records the object's ETag: downloads serve only that object. 403 for another user's key; 404 when nothing was uploaded, the key was never declared or is not of the server's shape; " +
      "422 when the size or type differ (the object and its declaration are deleted).",
    tags: ["uploads"],
    auth: "required",
    body: completeUploadInput,
    responses: { 200: { description: "The stored object (completing again answers the same)", schema: completedUpload } },
    problems: [403, 404, 422, 503],
  },
  {
    method: "get",
    path: "/api/uploads/{key}",
    summary: "Download your upload: a short-lived presigned GET (served as an attachment), as a 302 or as JSON",
    description:
      "Only for a completed upload whose object still has the ETag that completion verified. A key not of the server's own shape is 404 without asking the store. " +
      "With `Accept: application/json` the answer is 200 with the URL in the body (for a script or a page that fetches it), else a 302 to it.",
    tags: ["uploads"],
    auth: "required",
    pathParams: z.object({ key: z.string().describe("The object key (uploads/<owner>/<id>/<name>), slashes included") }),
    responses: {
      200: { description: "The presigned URL (the request accepted application/json)", schema: downloadLinkSchema },
      302: { description: "Redirect to the presigned URL", headers: { Location: "Presigned GET URL (5 minutes)" } },
    },
    problems: [403, 404, 503],
  },
  {
    method: "post",
    path: "/api/uploads/multipart",
    summary: "Start a multipart upload (large files): the server chooses the part size",
    description:
      "`contentType` and `size` are shown with the default limits; a deployment changes them with UPLOAD_ALLOWED_TYPES (comma-separated) and UPLOAD_MULTIPART_MAX_BYTES.",
    tags: ["uploads"],
    auth: "required",
    body: createUploadInput({ allowedTypes: defaults.allowedTypes, maxBytes: defaults.multipartMaxBytes }),
    responses: { 201: { description: "The upload and its part layout", schema: multipartCreated } },
    problems: [503],
  },
  {
    method: "post",
    path: "/api/uploads/multipart/parts",
    summary: "Presign UploadPart PUTs (1-100 part numbers a call), each with its exact Content-Length signed",
    description:
      "Part numbers are distinct, each from 1 to the upload's `partCount`. A URL expires UPLOAD_URL_TTL_SECONDS (default 600) after signing: sign again when a part PUT answers 403. " +
      `${multipartRefusals}; 409 once the upload is completed.`,
    tags: ["uploads"],
    auth: "required",
    body: signPartsInput,
    responses: { 200: { description: "One presigned URL per part", schema: signedParts } },
    problems: [403, 404, 409],
  },
  {
    method: "get",
    path: "/api/uploads/multipart",
    summary: "List the parts the store already has (resume after a reload)",
    description: `Send only the parts missing from \`parts\`, then complete. ${multipartRefusals}; 409 once the upload is completed.`,
    tags: ["uploads"],
    auth: "required",
    query: multipartQuery,
    responses: { 200: { description: "Uploaded parts", schema: multipartListing } },
    problems: [403, 404, 409, 503],
  },
  {
    method: "post",
    path: "/api/uploads/multipart/complete",
    summary: "Complete a multipart upload: every part, in order, with the ETag the store returned",
    description:
      "A part list with a part missing, repeated or out of order is a 400, and so is an ETag the store does not know (`invalid-parts`). " +
      "The assembled object's size and type are then checked against the declaration: a mismatch deletes the object (422). " +
      `Completing again answers the same 200. ${multipartRefusals}.`,
    tags: ["uploads"],
    auth: "required",
    body: completeMultipartInput,
    responses: { 200: { description: "The stored object (completing again answers the same)", schema: completedUpload } },
    problems: [403, 404, 422, 503],
  },
  {
    method: "delete",
    path: "/api/uploads/multipart",
    summary: "Abort a multipart upload: the store drops its parts",
    description: `The declaration is deleted too, so the upload can no longer be signed, listed or completed. ${multipartRefusals}; 409 once the upload is completed.`,
    tags: ["uploads"],
    auth: "required",
    query: multipartQuery,
    responses: { 204: { description: "Aborted" } },
    problems: [403, 404, 409, 503],
  },
  {
    method: "put",
    path: "/api/dev-s3/{path}",
    summary:
      "Development only: S3 PutObject or UploadPart (?partNumber=&uploadId=), checked by SigV4 query signature incl. Content-Length (404 in production)",
    description: `${devS3} The body streams through a FixedLengthStream of the signed Content-Length.`,
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
    summary:
      "Development only: S3 GetObject (as an attachment, CSP sandbox) or ListParts (?uploadId=), checked by SigV4 query signature (404 in production)",
    description: `${devS3} ListParts on an unknown, aborted or completed upload answers S3's NoSuchUpload.`,
    tags: ["development"],
    auth: "none",
    pathParams: z.object({ path: z.string().describe("<bucket>/<key>") }),
    responses: { 200: { description: "The object's bytes", contentType: "application/octet-stream" } },
    problems: [403, 404],
  },
  {
    method: "post",
    path: "/api/dev-s3/{path}",
    summary:
      "Development only: S3 CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId=), SigV4 query signature (404 in production)",
    description: `${devS3} The store's refusals (InvalidPart, NoSuchUpload) answer in S3's XML, as an S3 client expects.`,
    tags: ["development"],
    auth: "none",
    pathParams: z.object({ path: z.string().describe("<bucket>/<key>") }),
    rawBody: { contentType: "application/xml", description: "CompleteMultipartUpload part list (empty for create)" },
    responses: { 200: { description: "S3 XML result", contentType: "application/xml" } },
    problems: [400, 403, 404],
  },
  {
    method: "delete",
    path: "/api/dev-s3/{path}",
    summary: "Development only: S3 AbortMultipartUpload (?uploadId=), SigV4 query signature (404 in production)",
    description: `${devS3} The upload's parts are dropped.`,
    tags: ["development"],
    auth: "none",
    pathParams: z.object({ path: z.string().describe("<bucket>/<key>") }),
    responses: { 204: { description: "Aborted" } },
    problems: [400, 403, 404],
  },
];
