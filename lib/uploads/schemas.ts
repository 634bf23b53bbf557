import * as z from "zod";

export const createUploadInput = (allowedTypes: readonly string[], maxBytes: number) =>
  z.strictObject({
    filename: z.string().min(1, "Must be 1-1024 characters.").max(1024, "Must be 1-1024 characters."),
    // Case and surrounding spaces do not matter; the enum is what the OpenAPI document lists.
    contentType: z
      .preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.enum(allowedTypes as [string, ...string[]], { error: `Must be one of: ${allowedTypes.join(", ")}.` }))
      .describe("One of UPLOAD_ALLOWED_TYPES (configurable)"),
    size: z
      .number({ error: "Must be a whole number of bytes." })
      .int("Must be a whole number of bytes.")
      .min(1, `Must be from 1 to ${maxBytes} bytes.`)
      .max(maxBytes, `Must be from 1 to ${maxBytes} bytes.`)
      .describe("Bytes, at most UPLOAD_MAX_BYTES (configurable)"),
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
