/**
 * What stands in for the object store's S3 API in development without store credentials, wired
 * once for every caller of lib/uploads (the upload routes and the daily job): presigned URLs
 * point at the Worker's own S3-compatible endpoint (s3-target.ts), and the multipart calls go to
 * the parts ledger on the BUCKET binding (parts-ledger.ts). With credentials the store's S3 API
 * wins; outside development neither stand-in applies, and lib/uploads answers 503.
 *
 * Why the callers hand these in rather than lib/uploads choosing them: the uploads feature sits
 * below lib/dev (LIB_LAYERS in eslint.config.mjs) and never imports development code. lib/uploads
 * makes the stand-in a required option (null for none), and every caller takes it from here.
 */
import type { Config, Env } from "../config";
import { multipartStoreFor, type MultipartStore } from "../uploads/store";
import type { TargetOptions } from "../uploads/target";
import { partsLedgerStore } from "./parts-ledger";
import { devS3Target } from "./s3-target";

/** Where the URLs a request to `origin` signs point: the store's S3 API, else the dev S3 endpoint on `origin`. */
export const presignTarget = (origin: string): TargetOptions => ({ origin, local: devS3Target });

/** The multipart calls: the store's S3 API, else the parts ledger on the BUCKET binding (503 where neither applies). */
export const multipartStore = (env: Env, config: Config): MultipartStore => multipartStoreFor(env, config, { local: partsLedgerStore });
