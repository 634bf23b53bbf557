import { parseJson } from "@/lib/http/body";
import { defineRoute, json } from "@/lib/http/route";
import { validate } from "@/lib/http/validation";
import { abortMultipartUpload, createMultipartUpload, listUploadedParts } from "@/lib/uploads/multipart";
import { createUploadInput, multipartQuery } from "@/lib/uploads/schemas";
import { multipartStoreFor, objectStoreFor } from "@/lib/uploads/store";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  rateLimit: "uploads",
  POST: async (c) => {
    const user = await c.requireUser();
    const { allowedTypes, multipartMaxBytes } = c.config.uploads;
    const input = await parseJson(c.request, createUploadInput({ allowedTypes, maxBytes: multipartMaxBytes }), c.config.maxJsonBytes);
    const store = await multipartStoreFor(c.env, c.config);
    return json(await createMultipartUpload(c.db(), store, { ownerId: user.id, input }), { status: 201 });
  },
  // What the store already has: a client resumes by sending only the missing parts.
  GET: async (c) => {
    const user = await c.requireUser();
    const query = validate(multipartQuery, Object.fromEntries(c.url.searchParams), "query");
    const store = await multipartStoreFor(c.env, c.config);
    return json(await listUploadedParts(c.db(), store, { ownerId: user.id, ...query }));
  },
  DELETE: async (c) => {
    const user = await c.requireUser();
    const query = validate(multipartQuery, Object.fromEntries(c.url.searchParams), "query");
    const stores = { multipart: await multipartStoreFor(c.env, c.config), objects: await objectStoreFor(c.env, c.config) };
    await abortMultipartUpload(c.db(), stores, { ownerId: user.id, ...query });
    return new Response(null, { status: 204 });
  },
});
