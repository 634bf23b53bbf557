import { HttpError } from "@/lib/http/problem";
import { defineRoute, type Handler } from "@/lib/http/route";
import { devObjectKey, getObject, putObject, verifyPresignedRequest } from "@/lib/uploads/dev-s3";
import { devEndpointEnabled } from "@/lib/uploads/target";

type Params = { path: string[] };

/** Local S3-compatible endpoint (development without R2 credentials only; else 404). */
const s3 =
  (op: "put" | "get"): Handler<Params> =>
  async (c) => {
    if (!devEndpointEnabled(c.config)) throw new HttpError(404, { type: "not-found", detail: `No API route matches ${c.url.pathname}.` });
    const key = devObjectKey(c.params.path, c.config.uploads.r2.bucketName);
    await verifyPresignedRequest(c.request, c.url);
    if (op === "put") return putObject(c.request, c.env.BUCKET, key, c.config.uploads.maxBytes);
    return getObject(c.env.BUCKET, key);
  };

// Not rate limited: it stands in for the object store (R2 limits nothing per client either), and
// a multipart upload sends its parts here by the hundred.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<Params>({ rateLimit: false, PUT: s3("put"), GET: s3("get") });
