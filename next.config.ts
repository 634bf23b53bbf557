import type { NextConfig } from "next";
import { initOpenNextCloudflareForDev } from "@opennextjs/cloudflare";

const nextConfig: NextConfig = {
  // An API: no x-powered-by banner, and no compression by Next (it would buffer SSE; the edge compresses).
  poweredByHeader: false,
  compress: false,
};

export default nextConfig;

// Gives getCloudflareContext() local bindings under `next dev`.
initOpenNextCloudflareForDev();
