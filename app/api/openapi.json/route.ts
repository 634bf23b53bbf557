import { defineCachedRoute } from "@/lib/http/cached-route";
import * as api from "@/lib/openapi/api";
import { openApiResponse } from "@/lib/openapi/serve";
import { servedRoutes } from "@/worker/routes.generated";

// Static: `next build` renders this GET once and the Worker serves that copy from the
// incremental cache; the document only changes with a deploy.
export const dynamic = "force-static";

// Assembled from the declarations of every route the Worker serves (this one included).
export const { GET } = defineCachedRoute({ declaration: api.openApiDocument, render: () => openApiResponse(servedRoutes) });
