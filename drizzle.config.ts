import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  // One file per feature (schema.ts, schema-webhooks.ts, …): drizzle-kit reads them all.
  schema: "./lib/db/schema*.ts",
  out: "./drizzle",
});
