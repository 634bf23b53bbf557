import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";
import { initOpenNextCloudflareForDev } from "@opennextjs/cloudflare";

const nextConfig: NextConfig = {
  // An API: no x-powered-by banner, and no compression by Next (it would buffer SSE; the edge compresses).
  poweredByHeader: false,
  compress: false,
};

export default function config(phase: string): NextConfig {
  // Gives getCloudflareContext() local bindings under a bare `next dev` only. `next build` needs
  // none (a prerender gets no bindings: lib/http/context.ts), and starting wrangler's platform
  // proxy in every build worker printed a misleading "Durable Objects will not work in local
  // development" warning each time (under `npm start` / `npm run dev` they do work: real workerd).
  if (phase === PHASE_DEVELOPMENT_SERVER) initOpenNextCloudflareForDev();
  return nextConfig;
}
