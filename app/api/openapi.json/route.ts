import { defineCachedRoute } from "@/lib/http/cached-route";
import { openApiResponse } from "@/lib/openapi/serve";

// Static: `next build` renders this GET once and the Worker serves that copy from the
// incremental cache; the document only changes with a deploy.
export const dynamic = "force-static";

export const { GET } = defineCachedRoute(() => openApiResponse(), "/api/openapi.json");
