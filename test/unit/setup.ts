import { applyD1Migrations, createExecutionContext, env, reset } from "cloudflare:test";
import { afterEach, beforeEach } from "vitest";

beforeEach(async () => {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  // What OpenNext's worker.js does per request: getCloudflareContext() reads this.
  (globalThis as Record<symbol, unknown>)[Symbol.for("__cloudflare-context__")] = {
    env,
    ctx: createExecutionContext(),
    cf: {},
  };
});

afterEach(async () => {
  await reset();
});
