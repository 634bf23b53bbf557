/**
 * Development-only fault injection for R2: with `FAULT_R2=on` (honoured only when
 * ENVIRONMENT=development; ignored otherwise) every call to the BUCKET binding throws, as an R2
 * outage would — the upload routes', the dev S3 endpoint's and the daily job's, which all take
 * the bucket from `bucketFor` (lib/uploads/store.ts) — so tests can show the 503 + Retry-After
 * answers and that a request refused before any store call never reaches the store.
 */
import type { FaultOptions } from "../config";

/**
 * A bucket whose every call throws. It holds no state, so one serves every request. It has no
 * `then`: awaiting it (or returning it from an async function) gives the bucket, where a `then`
 * that never calls back would hang.
 */
const failingBucket = new Proxy({} as R2Bucket, {
  get: (_t, prop) => (prop === "then" ? undefined : () => Promise.reject(new Error(`R2 fault injected (FAULT_R2=on): ${String(prop)}`))),
});

/** The bucket as the upload code sees it: the binding, or while FAULT_R2 is on, one that always fails. */
export const withR2Faults = (bucket: R2Bucket, faults: FaultOptions): R2Bucket => (faults.r2Unavailable ? failingBucket : bucket);
