// Writes, Routeflare only (the yardstick has no create): authenticated POST /api/posts with a
// 400-byte body, under wrk.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { medianOfRuns, out, start, stop, withVars } from "../harness.mjs";

export const name = "write";

export async function run(ctx) {
  // One user (or one IP) on purpose, far past its rate limit: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.posts(s, 100);
  const script = join(out, "post.lua");
  const body = JSON.stringify({ title: "Bench", content: "x".repeat(400), published: true });
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${ctx.token}"\nwrk.body = '${body}'\n`,
  );
  await start(s);
  const rs = [];
  for (let round = 0; round < ctx.opts.rounds; round++) rs.push(ctx.measure(s, "/api/posts", { script }));
  await stop(s);
  const r = medianOfRuns(rs);
  ctx.report.log("## Writes (Routeflare only: the yardstick has no create)");
  ctx.report.log();
  ctx.report.table(
    ["route", "req/s", "p50 ms", "p99 ms", "CPU ms/req"],
    ["l", "r", "r", "r", "r"],
    [["POST /api/posts (auth, zod, insert)", r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.cpu.toFixed(2)]],
  );
  ctx.report.log();
  ctx.results.write = r;
}
