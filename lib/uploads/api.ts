import * as z from "zod";
import type { Declaration } from "../http/declaration";
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

/** What every call on a multipart upload can be refused for, beyond its fields. */
const multipartRefusals =
  "403 when the upload is another user's (the answer names neither key nor upload id); 404 for an unknown, aborted or mismatched `uploadId`";

export const createUpload = {
  summary: "Get a presigned PUT URL to upload one file straight to R2",
  description:
    "`contentType` and `size` are shown with the default limits; a deployment changes them with UPLOAD_ALLOWED_TYPES (comma-separated) and UPLOAD_MAX_BYTES.",
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  body: ({ uploads }) => createUploadInput({ allowedTypes: uploads.allowedTypes, maxBytes: uploads.maxBytes }),
  responses: { 201: { description: "Where and how to PUT the file (send exactly `headers`)", schema: presignedUpload } },
  problems: [503],
} satisfies Declaration;

export const completeUpload = {
  summary: "Confirm an upload: the object must exist and match the declared size and type",
  description:
    "Records the object's ETag: downloads serve only that object. 403 for another user's key; 404 when nothing was uploaded, the key was never declared or is not of the server's shape; " +
    "422 when the size or type differ (the object and its declaration are deleted).",
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  body: completeUploadInput,
  responses: { 200: { description: "The stored object (completing again answers the same)", schema: completedUpload } },
  problems: [403, 404, 422, 503],
} satisfies Declaration;

export const downloadUpload = {
  summary: "Download your upload: a short-lived presigned GET (served as an attachment), as a 302 or as JSON",
  description:
    "Only for a completed upload whose object still has the ETag that completion verified. A key not of the server's own shape is 404 without asking the store. " +
    "With `Accept: application/json` the answer is 200 with the URL in the body (for a script or a page that fetches it), else a 302 to it.",
  tags: ["uploads"],
  auth: "required",
  params: z.object({ key: z.string().describe("The object key (uploads/<owner>/<id>/<name>), slashes included") }),
  responses: {
    200: { description: "The presigned URL (the request accepted application/json)", schema: downloadLinkSchema },
    302: { description: "Redirect to the presigned URL", headers: { Location: "Presigned GET URL (5 minutes)" } },
  },
  problems: [403, 404, 503],
} satisfies Declaration;

export const createMultipartUpload = {
  summary: "Start a multipart upload (large files): the server chooses the part size",
  description:
    "`contentType` and `size` are shown with the default limits; a deployment changes them with UPLOAD_ALLOWED_TYPES (comma-separated) and UPLOAD_MULTIPART_MAX_BYTES.",
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  body: ({ uploads }) => createUploadInput({ allowedTypes: uploads.allowedTypes, maxBytes: uploads.multipartMaxBytes }),
  responses: { 201: { description: "The upload and its part layout", schema: multipartCreated } },
  problems: [503],
} satisfies Declaration;

export const signParts = {
  summary: "Presign UploadPart PUTs (1-100 part numbers a call), each with its exact Content-Length signed",
  description:
    "Part numbers are distinct, each from 1 to the upload's `partCount`. A URL expires UPLOAD_URL_TTL_SECONDS (default 600) after signing: sign again when a part PUT answers 403. " +
    `${multipartRefusals}; 409 once the upload is completed.`,
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  body: signPartsInput,
  responses: { 200: { description: "One presigned URL per part", schema: signedParts } },
  problems: [403, 404, 409],
} satisfies Declaration;

export const listParts = {
  summary: "List the parts the store already has (resume after a reload)",
  description: `Send only the parts missing from \`parts\`, then complete. ${multipartRefusals}; 409 once the upload is completed.`,
  tags: ["uploads"],
  auth: "required",
  query: multipartQuery,
  responses: { 200: { description: "Uploaded parts", schema: multipartListing } },
  problems: [403, 404, 409, 503],
} satisfies Declaration;

export const completeMultipartUpload = {
  summary: "Complete a multipart upload: every part, in order, with the ETag the store returned",
  description:
    "A part list with a part missing, repeated or out of order is a 400, and so is an ETag the store does not know (`invalid-parts`). " +
    "The assembled object's size and type are then checked against the declaration: a mismatch deletes the object (422). " +
    `Completing again answers the same 200. ${multipartRefusals}.`,
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  body: completeMultipartInput,
  responses: { 200: { description: "The stored object (completing again answers the same)", schema: completedUpload } },
  problems: [403, 404, 422, 503],
} satisfies Declaration;

export const abortMultipartUpload = {
  summary: "Abort a multipart upload: the store drops its parts",
  description: `The declaration is deleted too, so the upload can no longer be signed, listed or completed. ${multipartRefusals}; 409 once the upload is completed.`,
  tags: ["uploads"],
  auth: "required",
  rateLimit: "uploads",
  query: multipartQuery,
  responses: { 204: { description: "Aborted" } },
  problems: [403, 404, 409, 503],
} satisfies Declaration;

export const uploadLimits = {
  summary: "What this deployment accepts: content types and maximum sizes",
  description: "Read before sending anything (the uploads page shows it up front); the values are this deployment's, not the defaults.",
  tags: ["uploads"],
  auth: "none",
  responses: { 200: { description: "The upload limits", schema: uploadLimitsSchema } },
} satisfies Declaration;
