import { randomBytes } from "node:crypto";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // Runs in Node: the SQL files in drizzle/ become a binding the unit tests apply per test.
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "drizzle"));
  const alias = { "@": import.meta.dirname };
  return {
    test: {
      projects: [
        {
          // lib/ and route handlers inside workerd, with real local D1 and R2.
          resolve: { alias },
          plugins: [
            cloudflareTest({
              miniflare: {
                compatibilityDate: "2026-11-01",
                compatibilityFlags: ["nodejs_compat"],
                d1Databases: ["DB"],
                r2Buckets: ["BUCKET"],
                // A development secret of this run's own, as each checkout has (scripts/dev-secrets.mjs).
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ENVIRONMENT: "development",
                  LOG_LEVEL: "error",
                  DEV_SECRET: randomBytes(32).toString("hex"),
                },
              },
            }),
          ],
          test: { name: "unit", include: ["test/unit/**/*.test.ts"], setupFiles: ["test/unit/setup.ts"] },
        },
        {
          // The npm scripts' own logic, in Node (no Worker needed).
          resolve: { alias },
          test: { name: "scripts", include: ["test/scripts/**/*.test.ts"] },
        },
        {
          // The built Worker (dist/) over HTTP, in workerd via wrangler's test harness.
          resolve: { alias },
          test: {
            name: "integration",
            include: ["test/integration/**/*.test.ts"],
            // Each file boots its own workerd; on 2 cores, one at a time is faster and steadier.
            fileParallelism: false,
            testTimeout: 30_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
