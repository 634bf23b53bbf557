import * as z from "zod";

export interface UploadLimits {
  allowedTypes: readonly string[];
  /** The largest `size` accepted (single PUT or multipart). */
  maxBytes: number;
}

const uploadInputs = new Map<string, ReturnType<typeof buildUploadInput>>();

/**
 * The body of `POST /api/uploads` and `POST /api/uploads/multipart` under these limits: the
 * schema that validates requests and the one the OpenAPI document shows. Built once per
 * distinct limits (a deployment has two), not per request.
 */
export function createUploadInput(limits: UploadLimits) {
  const id = `${limits.maxBytes}\n${limits.allowedTypes.join("\n")}`;
  let schema = uploadInputs.get(id);
  if (!schema) uploadInputs.set(id, (schema = buildUploadInput(limits)));
  return schema;
}

const buildUploadInput = ({ allowedTypes, maxBytes }: UploadLimits) =>
  z.strictObject({
    filename: z.string().min(1, "Must be 1-1024 characters.").max(1024, "Must be 1-1024 characters."),
    // Case and surrounding spaces do not matter; the enum is what the OpenAPI document lists.
    contentType: z
      .preprocess(
        (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
        z.enum(allowedTypes as [string, ...string[]], { error: `Must be one of: ${allowedTypes.join(", ")}.` }),
      )
      .describe("One of UPLOAD_ALLOWED_TYPES (configurable)"),
    size: z
      .number({ error: "Must be a whole number of bytes." })
      .int("Must be a whole number of bytes.")
      .min(1, `Must be from 1 to ${maxBytes} bytes.`)
      .max(maxBytes, `Must be from 1 to ${maxBytes} bytes.`)
      .describe("Bytes, at most the configured maximum"),
  });

export const completeUploadInput = z.strictObject({ key: z.string().min(1, "Required.").max(1024, "Too long.") });

export const presignedUpload = z.object({
  key: z.string(),
  uploadUrl: z.string(),
  method: z.literal("PUT"),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});

export const completedUpload = z.object({ key: z.string(), size: z.number().int(), contentType: z.string(), etag: z.string() });

/** `GET /api/uploads/<key>` with `Accept: application/json`: the presigned GET instead of a redirect to it. */
export const uploadLimitsSchema = z
  .object({
    allowedTypes: z.array(z.string()).describe("Content types an upload may declare (UPLOAD_ALLOWED_TYPES)"),
    maxBytes: z.number().int().describe("Largest single-PUT upload, in bytes (UPLOAD_MAX_BYTES)"),
    multipartMaxBytes: z.number().int().describe("Largest multipart upload, in bytes (UPLOAD_MULTIPART_MAX_BYTES)"),
  })
  .meta({
    examples: [
      {
        allowedTypes: ["image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain"],
        maxBytes: 104857600,
        multipartMaxBytes: 5368709120,
      },
    ],
  });

export const downloadLinkSchema = z.object({
  url: z.string().describe("Presigned GET URL of the object, served as an attachment"),
  expiresAt: z.string().describe("When the URL stops working (ISO 8601, 5 minutes after signing)"),
});

// ---------------------------------------------------------------------------------------------
// Multipart uploads

/**
 * Multipart limits. The store's (R2 and S3 agree): parts of 5 MiB to 5 GiB, part numbers 1 to
 * 10 000, objects up to 5 TiB. Ours: the server aims for at most `targetParts` parts (one signing
 * call, which takes `maxPartNumbersPerCall` part numbers, covers a whole upload), which parts of
 * at most 5 GiB allow up to 500 GiB; above that the parts are 5 GiB and there are more of them.
 */
export const MULTIPART = {
  minPartSize: 5 * 1024 ** 2,
  maxPartSize: 5 * 1024 ** 3,
  maxParts: 10000,
  targetParts: 100,
  maxPartNumbersPerCall: 100,
} as const;

const key = z.string().min(1, "Required.").max(1024, "Too long.");
const uploadId = z.string().min(1, "Required.").max(1024, "Too long.");
const partNumber = z
  .number({ error: "Must be a whole number from 1 to 10000." })
  .int("Must be a whole number from 1 to 10000.")
  .min(1, "Must be a whole number from 1 to 10000.")
  .max(MULTIPART.maxParts, "Must be a whole number from 1 to 10000.");

export const multipartCreated = z.object({
  key: z.string(),
  uploadId: z.string(),
  partSize: z
    .number()
    .int()
    .describe(
      "Every part but the last has exactly this many bytes: a whole number of MiB, at least 5 MiB, just enough for at most 100 parts",
    ),
  partCount: z.number().int().max(MULTIPART.maxParts).describe("At most 100 (files up to 500 GiB), so one signing call covers every part"),
  expiresAt: z.string().describe("After this the daily job aborts the upload if it was not completed"),
});

export const signPartsInput = z.strictObject({
  key,
  uploadId,
  partNumbers: z
    .array(partNumber)
    .min(1, `Send 1 to ${MULTIPART.maxPartNumbersPerCall} part numbers.`)
    .max(MULTIPART.maxPartNumbersPerCall, `Send 1 to ${MULTIPART.maxPartNumbersPerCall} part numbers.`)
    .refine((ns) => new Set(ns).size === ns.length, "Part numbers must not repeat.")
    // The refinement above, as JSON Schema says it.
    .meta({ uniqueItems: true }),
});

export const signedParts = z.object({
  parts: z.array(
    z.object({
      partNumber: z.number().int(),
      url: z.string().describe("Presigned UploadPart PUT; its Content-Length is signed"),
      size: z.number().int().describe("The body must be exactly this many bytes"),
      headers: z.record(z.string(), z.string()),
    }),
  ),
});

export const multipartQuery = z.strictObject({ key, uploadId });

export const multipartListing = z.object({
  key: z.string(),
  uploadId: z.string(),
  partSize: z.number().int(),
  partCount: z.number().int(),
  parts: z.array(z.object({ partNumber: z.number().int(), etag: z.string(), size: z.number().int() })),
});

export const completeMultipartInput = z.strictObject({
  key,
  uploadId,
  parts: z
    .array(z.strictObject({ partNumber, etag: z.string().min(1, "Required.").max(200, "Too long.") }))
    .min(1, "Send every part.")
    .max(MULTIPART.maxParts, "At most 10000 parts."),
});
