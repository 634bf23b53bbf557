import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";

// Public and tiny: lets a client (the uploads page) show what will be accepted before it sends
// anything, with this deployment's values rather than the document's defaults.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  GET: endpoint(api.uploadLimits, (c) => {
    const { allowedTypes, maxBytes, multipartMaxBytes } = c.config.uploads;
    return json({ allowedTypes, maxBytes, multipartMaxBytes });
  }),
});
