import { partsLedgerStore } from "@/lib/dev/parts-ledger";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { completeMultipartUpload } from "@/lib/uploads/multipart";
import { multipartStoreFor, objectStoreFor } from "@/lib/uploads/store";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.completeMultipartUpload, async (c, { user, body }) => {
    // In development without store credentials, the binding-backed parts ledger stands in for S3.
    const multipart = multipartStoreFor(c.env, c.config, { local: partsLedgerStore });
    const stores = { multipart, objects: objectStoreFor(c.env, c.config) };
    return json(await completeMultipartUpload(c.db(), stores, { ownerId: user.id, ...body }));
  }),
});
