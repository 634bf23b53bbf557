// Uploads: in production the bytes go browser → R2; the Worker only presigns and checks. This is
// the latency of presigning (POST /api/uploads) against the local dev store; the Worker's CPU
// per whole upload, single PUT and multipart, against a store outside the Worker, is the
// `multipart` scenario's.
import { uploadClient } from "../../test/upload-client.ts";
import { median, quantile, start, stop, withVars } from "../harness.mjs";

export const name = "uploads";

export async function run(ctx) {
  // One user (or one IP) on purpose, far past its rate limit: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.anyState(s);
  await start(s);
  const api = uploadClient({ base: `http://127.0.0.1:${s.port}`, authorization: () => `Bearer ${ctx.token}` });
  const lat = [];
  for (let i = 0; i < (ctx.opts.quick ? 50 : 200); i++) {
    const t0 = performance.now();
    const res = await api.presign({ filename: "a.png", contentType: "image/png", size: 1000 });
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
  await stop(s);
}
