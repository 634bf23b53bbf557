import { notFoundRoute } from "@/lib/http/route";

// Any /api path no other route claims: a problem+json 404 for every method.
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = notFoundRoute();
