/**
 * The upload endpoints as a client calls them, in one place for the tests (Node, over HTTP to
 * the built Worker) and the benchmark (bench/scenarios/*.mjs, which Node loads as TypeScript).
 * Each call answers the raw Response: a test asserts on its status, the benchmark times it.
 * Plain TypeScript with no imports, so both can load it.
 */

export interface FileDeclaration {
  filename: string;
  contentType: string;
  size: number;
}

export interface MultipartRef {
  key: string;
  uploadId: string;
}

export interface UploadClientOptions {
  /** The API's origin, e.g. `http://127.0.0.1:8787`. */
  base: string | URL;
  /** The `Authorization` header value for each call (a new token per call is fine). */
  authorization: () => string | Promise<string>;
}

export function uploadClient({ base, authorization }: UploadClientOptions) {
  const send = async (method: string, path: string, body?: unknown, init: RequestInit = {}) =>
    fetch(new URL(path, base), {
      ...init,
      method,
      headers: { authorization: await authorization(), ...(body !== undefined && { "content-type": "application/json" }), ...init.headers },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const multipartQuery = ({ key, uploadId }: MultipartRef) => `/api/uploads/multipart?${new URLSearchParams({ key, uploadId })}`;
  // Only the two fields: a caller may hold the whole created upload, and the API refuses unknown fields.
  const ref = ({ key, uploadId }: MultipartRef) => ({ key, uploadId });
  return {
    /** POST /api/uploads: a presigned PUT. */
    presign: (file: FileDeclaration) => send("POST", "/api/uploads", file),
    /** POST /api/uploads/complete. */
    complete: (key: string) => send("POST", "/api/uploads/complete", { key }),
    /** GET /api/uploads/<key>, without following the redirect (`accept` for the JSON answer). */
    download: (key: string, accept?: string) =>
      send("GET", `/api/uploads/${key}`, undefined, { redirect: "manual", headers: accept ? { accept } : {} }),
    /** POST /api/uploads/multipart. */
    createMultipart: (file: FileDeclaration) => send("POST", "/api/uploads/multipart", file),
    /** POST /api/uploads/multipart/parts. */
    signParts: (upload: MultipartRef, partNumbers: readonly number[]) =>
      send("POST", "/api/uploads/multipart/parts", { ...ref(upload), partNumbers }),
    /** GET /api/uploads/multipart: the parts the store has. */
    listParts: (upload: MultipartRef) => send("GET", multipartQuery(upload)),
    /** POST /api/uploads/multipart/complete. */
    completeMultipart: (upload: MultipartRef, parts: readonly { partNumber: number; etag: string }[]) =>
      send("POST", "/api/uploads/multipart/complete", { ...ref(upload), parts }),
    /** DELETE /api/uploads/multipart. */
    abortMultipart: (upload: MultipartRef) => send("DELETE", multipartQuery(upload)),
  };
}

export type UploadClient = ReturnType<typeof uploadClient>;
