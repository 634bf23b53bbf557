// An S3-compatible store for the upload scenarios, outside the Worker: s3rver (npm) running in
// the bench's own Node process, so everything the store does — taking part bytes, assembling a
// completed upload, answering HEAD — is CPU of this process, never of the server's process
// group that the scenarios measure. The Worker reaches it through R2_S3_ENDPOINT with
// credentials (`workerVars`), as it would reach R2's S3 API.
//
// s3rver lacks ListParts (GET ?uploadId=); `startS3Store` adds it, answering from the parts
// s3rver keeps on disk. s3rver does not check signatures or signed lengths: the bench sends
// exactly the signed bytes. Objects live in a temporary directory, removed by `close()`.
//
// Multipart parts and the objects assembled from them are kept as sparse files of their size:
// the bench sends zeros, which is what reading them gives, and a 5 GiB upload then neither
// writes 10 GiB to a shared disk nor keeps the Worker's completion waiting half a minute while
// s3rver copies the parts (workerd spends a little CPU per second of any wait). Each part's
// ETag stands in for the MD5 of its bytes; s3rver does not check part ETags at completion.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import S3rver from "s3rver";

const BUCKET = "routeflare-bench";
const KEY_ID = "S3RVER";
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Starts the store. Returns { endpoint, bucket, workerVars, deleteObject(key), close() }. */
export async function startS3Store() {
  const root = mkdtempSync(join(tmpdir(), "bench-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: root,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const store = server.store;
  const uploadDir = (bucket, uploadId) => join(store.getResourcePath(bucket, undefined, "uploads"), uploadId);
  const sparse = (file, size) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, "");
    truncateSync(file, size);
  };
  const standInMd5 = (...parts) => createHash("md5").update(parts.join("/")).digest("hex");
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    let size = 0;
    for await (const chunk of content) size += chunk.length;
    const file = join(uploadDir(bucket, uploadId), String(partNumber));
    sparse(file, size);
    const md5 = standInMd5(uploadId, partNumber, size);
    writeFileSync(`${file}.md5`, md5);
    return { size, md5 };
  };
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const dir = uploadDir(bucket, uploadId);
    const key = readFileSync(join(dir, "key"), "utf8");
    const metadata = JSON.parse(readFileSync(join(dir, "metadata"), "utf8"));
    const size = parts.reduce((sum, p) => sum + statSync(join(dir, String(p.number))).size, 0);
    sparse(store.getResourcePath(bucket, key, "object"), size);
    const md5 = standInMd5(uploadId, size);
    await store.putMetadata(bucket, key, metadata, md5);
    rmSync(dir, { recursive: true, force: true });
    return { size, md5 };
  };
  // ListParts, ahead of s3rver's own routes (Koa composes its middleware when it starts listening).
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== "GET" || typeof uploadId !== "string") return next();
    const bucket = ctx.path.split("/")[1];
    const dir = uploadDir(bucket, uploadId);
    ctx.type = "application/xml";
    if (!existsSync(dir)) {
      ctx.status = 404;
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>No such upload.</Message></Error>`;
      return;
    }
    const parts = readdirSync(dir)
      .filter((f) => /^\d+$/.test(f))
      .map(Number)
      .sort((a, b) => a - b)
      .map((n) => {
        const file = join(dir, String(n));
        const md5 = readFileSync(`${file}.md5`, "utf8");
        return `<Part><PartNumber>${n}</PartNumber><ETag>"${md5}"</ETag><Size>${statSync(file).size}</Size></Part>`;
      });
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>${esc(bucket)}</Bucket><UploadId>${esc(uploadId)}</UploadId><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`;
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket: BUCKET,
    /** `--var` pairs that point the Worker's uploads at this store. */
    workerVars: [`R2_S3_ENDPOINT:${endpoint}`, `R2_BUCKET_NAME:${BUCKET}`, `R2_ACCESS_KEY_ID:${KEY_ID}`, `R2_SECRET_ACCESS_KEY:${KEY_ID}`],
    /** Deletes an uploaded object straight in the store, not through the Worker. */
    deleteObject: (key) => server.store.deleteObject(BUCKET, key),
    async close() {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
