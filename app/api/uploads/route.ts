import { devS3Target } from "@/lib/dev/s3-target";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { createUpload } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  POST: endpoint(api.createUpload, async (c, { user, body }) => {
    // In development without store credentials, the URL points at the Worker's dev S3 endpoint.
    const target = { origin: c.url.origin, local: devS3Target };
    return json(await createUpload(c.db(), { config: c.config, target, ownerId: user.id, input: body }), { status: 201 });
  }),
});
