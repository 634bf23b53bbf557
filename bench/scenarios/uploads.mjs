// Uploads: in production the bytes go browser → R2; the Worker only presigns and checks. Shows
// its cost does not grow with the file: one object per size (PUT through the local dev store,
// not measured), then many presign + complete calls against it, with CPU sampled around them.
import { groupCpuTicks, median, quantile, start, stop, ticksToMs, withVars } from "../harness.mjs";

export const name = "uploads";

export async function run(ctx) {
  // One user (or one IP) on purpose, far past its rate limit: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.anyState(s);
  await start(s);
  const lat = [];
  for (let i = 0; i < (ctx.opts.quick ? 50 : 200); i++) {
    const t0 = performance.now();
    const res = await ctx.post(s, "/api/uploads", { filename: "a.png", contentType: "image/png", size: 1000 });
    await res.arrayBuffer();
    lat.push(performance.now() - t0);
  }
  ctx.report.log("## Uploads: the Worker's share");
  ctx.report.log();
  ctx.report.log(
    `Presign (POST /api/uploads), ${lat.length} sequential requests: p50 ${median(lat).toFixed(1)} ms, p99 ${quantile(lat, 0.99).toFixed(1)} ms.`,
  );
  ctx.report.log();
  ctx.results.uploads = { presignP50: median(lat) };
  const rows = [];
  for (const size of [1 << 20, 100 << 20]) {
    const body = { filename: "big.bin", contentType: "application/pdf", size };
    const p = await (await ctx.post(s, "/api/uploads", body)).json();
    const put = await fetch(p.uploadUrl, { method: "PUT", headers: p.headers, body: new Uint8Array(size) });
    if (!put.ok) throw new Error(`dev PUT of ${size} bytes: ${put.status}`);
    const n = ctx.opts.quick ? 30 : 100;
    const c0 = groupCpuTicks(s.pgid);
    for (let i = 0; i < n; i++) {
      await (await ctx.post(s, "/api/uploads", body)).arrayBuffer();
      const done = await ctx.post(s, "/api/uploads/complete", { key: p.key });
      if (!done.ok) throw new Error(`complete: ${done.status}`);
      await done.arrayBuffer();
    }
    const cpu = ticksToMs(groupCpuTicks(s.pgid) - c0) / n;
    ctx.results.uploads[size] = cpu;
    rows.push([`${size >> 20} MiB`, n, cpu.toFixed(2)]);
  }
  ctx.report.table(["object size", "presign + complete calls", "CPU ms per presign+complete (whole server)"], ["l", "r", "r"], rows);
  ctx.report.log();
  await stop(s);
}
