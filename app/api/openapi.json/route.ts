import { ifNoneMatchHits } from "@/lib/http/conditional";
import { defineRoute } from "@/lib/http/route";
import { openApiResponse } from "@/lib/openapi/serve";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  GET: (c) => openApiResponse((etag) => ifNoneMatchHits(c.request.headers.get("if-none-match"), etag)),
});
