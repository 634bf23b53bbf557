import { defineRoute, json } from "@/lib/http/route";

// Public and tiny: lets a client (the uploads page) show what will be accepted before it sends
// anything, with this deployment's values rather than the document's defaults.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute({
  GET: (c) => {
    const { allowedTypes, maxBytes, multipartMaxBytes } = c.config.uploads;
    return json({ allowedTypes, maxBytes, multipartMaxBytes });
  },
});
