/**
 * What the development-only endpoints declare: the dev token for the demo pages and the local
 * S3-compatible store. Both exist only in development (their routes say when, `defineRoute`'s
 * `when`); anywhere else every method on them answers as an unknown path does.
 */
import * as z from "zod";
import type { Declaration } from "../http/declaration";
import { devTokenRequest } from "../auth/schemas";

export const devToken = {
  summary: "Development only: a bearer token for the demo pages (404 unless ENVIRONMENT=development)",
  description:
    "Exists only while the Worker signs tokens with its development secret (ENVIRONMENT=development and no AUTH_SECRET); otherwise every method answers as an unknown path does, " +
    'so no endpoint mints tokens for a real secret. Without a body the token is for "demo-user"; it expires after 1 hour.',
  tags: ["development"],
  auth: "none",
  body: devTokenRequest,
  bodyRequired: false,
  responses: { 201: { description: "A token", schema: z.object({ token: z.string(), sub: z.string(), expiresAt: z.string() }) } },
  problems: [404],
} satisfies Declaration;

/** The development store, whichever S3 call it serves. */
const devS3 =
  "Exists only with ENVIRONMENT=development and no R2 credentials: the local S3-compatible store that presigned URLs then point at, on the `BUCKET` binding. " +
  "It recomputes the SigV4 query signature over the canonical request S3 uses and checks access key, scope and expiry: any mismatch is a 403.";

export const devPutObject = {
  summary:
    "Development only: S3 PutObject or UploadPart (?partNumber=&uploadId=), checked by SigV4 query signature incl. Content-Length (404 in production)",
  description: `${devS3} The body streams through a FixedLengthStream of the signed Content-Length.`,
  tags: ["development"],
  auth: "none",
  rateLimit: false,
  params: z.object({ path: z.string().describe("<bucket>/<key>") }),
  rawBody: { contentType: "application/octet-stream", description: "The file, with the signed Content-Type" },
  responses: { 200: { description: "Stored", headers: { ETag: "Object ETag" } } },
  problems: [403, 404, 411, 413],
} satisfies Declaration;

export const devGetObject = {
  summary:
    "Development only: S3 GetObject (as an attachment, CSP sandbox) or ListParts (?uploadId=), checked by SigV4 query signature (404 in production)",
  description: `${devS3} ListParts on an unknown, aborted or completed upload answers S3's NoSuchUpload.`,
  tags: ["development"],
  auth: "none",
  rateLimit: false,
  params: z.object({ path: z.string().describe("<bucket>/<key>") }),
  responses: { 200: { description: "The object's bytes", contentType: "application/octet-stream" } },
  problems: [403, 404],
} satisfies Declaration;

export const devMultipart = {
  summary:
    "Development only: S3 CreateMultipartUpload (?uploads) and CompleteMultipartUpload (?uploadId=), SigV4 query signature (404 in production)",
  description: `${devS3} The store's refusals (InvalidPart, NoSuchUpload) answer in S3's XML, as an S3 client expects.`,
  tags: ["development"],
  auth: "none",
  rateLimit: false,
  params: z.object({ path: z.string().describe("<bucket>/<key>") }),
  rawBody: { contentType: "application/xml", description: "CompleteMultipartUpload part list (empty for create)" },
  responses: { 200: { description: "S3 XML result", contentType: "application/xml" } },
  problems: [400, 403, 404],
} satisfies Declaration;

export const devAbortMultipart = {
  summary: "Development only: S3 AbortMultipartUpload (?uploadId=), SigV4 query signature (404 in production)",
  description: `${devS3} The upload's parts are dropped.`,
  tags: ["development"],
  auth: "none",
  rateLimit: false,
  params: z.object({ path: z.string().describe("<bucket>/<key>") }),
  responses: { 204: { description: "Aborted" } },
  problems: [400, 403, 404],
} satisfies Declaration;
