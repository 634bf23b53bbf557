import type { z } from "zod";
import { HttpError, badRequest } from "../core/problem";
import { validate } from "./validation";

const JSON_MEDIA_TYPE = "application/json";

function isJsonContentType(header: string | null): boolean {
  if (header === null) return false;
  const mediaType = header.split(";", 1)[0]!.trim().toLowerCase();
  return mediaType === JSON_MEDIA_TYPE;
}

const tooLarge = (maxBytes: number) =>
  new HttpError(413, {
    type: "body-too-large",
    detail: `The request body exceeds the limit of ${maxBytes} bytes.`,
  });

/**
 * Reads the raw body, counting bytes as they arrive: `Content-Length` can be absent (chunked)
 * or lie, so it only short-circuits the obvious case and the stream count is what decides.
 * Reading stops (and the stream is cancelled) as soon as the limit is passed.
 */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads a JSON object body: 415 wrong type, 413 too large, 400 not JSON or not an object. */
export async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    throw new HttpError(415, {
      type: "unsupported-media-type",
      detail: "Send the body as application/json.",
      headers: { "accept-post": JSON_MEDIA_TYPE },
    });
  }
  const bytes = await readBodyBytes(request, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest({ detail: "The request body is not valid UTF-8.", type: "malformed-json" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest({
      detail: text.trim() === "" ? "The request body is empty; send a JSON object." : "The request body is not valid JSON.",
      type: "malformed-json",
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest({ detail: "The request body must be a JSON object.", type: "malformed-json" });
  }
  return value as Record<string, unknown>;
}

/** `readJsonObject` then zod: the one call a route makes for its body. */
export async function parseJson<S extends z.ZodType>(request: Request, schema: S, maxBytes: number): Promise<z.output<S>> {
  return validate(schema, await readJsonObject(request, maxBytes));
}
