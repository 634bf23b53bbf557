import { HttpError } from "@/lib/core/problem";
import * as api from "@/lib/dev/api";
import * as s3 from "@/lib/dev/s3";
import { devCredentials, devEndpointEnabled } from "@/lib/dev/s3-target";
import type { Declaration } from "@/lib/http/declaration";
import { defineRoute, endpoint, type RequestContext } from "@/lib/http/route";
import { drainUnreadBody } from "@/lib/http/unread-body";
import { bucketFor } from "@/lib/uploads/store";

type Params = { path: string[] };
type S3Method = "PUT" | "GET" | "POST" | "DELETE";

/**
 * Local S3-compatible endpoint (development without R2 credentials only; else it answers as an
 * unknown path does, whatever the method). The S3
 * operation is chosen like S3 does, by method and query: `?uploads`, `?uploadId`, `?partNumber`.
 */
async function operation(method: S3Method, c: RequestContext<Params>): Promise<Response> {
  const key = s3.devObjectKey(c.params.path, c.config.uploads.r2.bucketName);
  await s3.verifyPresignedRequest(c.request, c.url, { credentials: await devCredentials(c.config) });
  const bucket = bucketFor(c.env, c.config);
  const q = c.url.searchParams;
  const uploadId = q.get("uploadId");
  const { maxBytes } = c.config.uploads;
  switch (method) {
    case "PUT":
      // A part's exact length is in its signature; the store's own ceiling for one part is 5 GiB.
      if (uploadId !== null) return s3.uploadPart(c.request, bucket, { key, url: c.url, maxBytes: 5 * 1024 ** 3 });
      return s3.putObject(c.request, bucket, { key, maxBytes });
    case "GET":
      return uploadId !== null ? s3.listParts(bucket, { key, uploadId }) : s3.getObject(bucket, key);
    case "POST":
      if (q.has("uploads")) return s3.createMultipart(c.request, bucket, key);
      if (uploadId !== null) return s3.completeMultipart(c.request, bucket, { key, uploadId });
      break;
    case "DELETE":
      if (uploadId !== null) return s3.abortMultipart(bucket, { key, uploadId });
      break;
  }
  throw new HttpError(400, {
    type: "bad-request",
    detail: "This dev endpoint implements PutObject, GetObject and the multipart calls only.",
  });
}

const s3Call = (method: S3Method, declaration: Declaration) =>
  endpoint<Declaration, Params>(declaration, async (c) => {
    try {
      return await operation(method, c);
    } catch (err) {
      // Read what the client is still sending before refusing it: answering a large PUT early
      // and closing makes clients see a dropped connection instead of the 403/404.
      await drainUnreadBody(c.request);
      throw err;
    }
  });

// Not rate limited (its declarations say so): it stands in for the object store (R2 limits
// nothing per client either), and a multipart upload sends its parts here by the hundred.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<Params>({
  when: devEndpointEnabled,
  PUT: s3Call("PUT", api.devPutObject),
  GET: s3Call("GET", api.devGetObject),
  POST: s3Call("POST", api.devMultipart),
  DELETE: s3Call("DELETE", api.devAbortMultipart),
});
