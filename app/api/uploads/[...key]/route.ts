import { presignTarget } from "@/lib/dev/stand-ins";
import { accepts } from "@/lib/http/accept";
import { defineRoute, endpoint, json } from "@/lib/http/route";
import * as api from "@/lib/uploads/api";
import { objectStoreFor } from "@/lib/uploads/store";
import { downloadLink } from "@/lib/uploads/uploads";

export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = defineRoute<{ key: string[] }>({
  // The owner gets a short-lived presigned GET: the bytes never pass through here. A redirect to
  // it by default; with `Accept: application/json` the link itself, so a page that must send a
  // bearer token can still let the browser download straight from the store.
  GET: endpoint(api.downloadUpload, async (c, { user }) => {
    const link = await downloadLink(c.db(), objectStoreFor(c.env, c.config), {
      config: c.config,
      target: presignTarget(c.url.origin),
      ownerId: user.id,
      key: c.params.key.join("/"),
    });
    const vary = { vary: "accept" };
    if (accepts(c.request, "application/json")) return json(link, { headers: vary });
    return new Response(null, { status: 302, headers: { location: link.url, ...vary } });
  }),
});
