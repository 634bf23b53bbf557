import { defineCachedRoute } from "@/lib/http/cached-route";
import * as api from "@/lib/stats/api";
import { statsResponse } from "@/lib/stats/stats";

// Time-revalidated: Next serves this GET from its incremental cache (OpenNext: R2) and renders
// it again at most once per 60 s. Next reads the value at build, so it must be a literal.
export const revalidate = 60;

export const { GET } = defineCachedRoute({ declaration: api.statsSnapshot, render: (c) => statsResponse(c.db) });
