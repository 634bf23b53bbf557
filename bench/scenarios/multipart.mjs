// Uploads: the Worker's CPU per upload, single PUT and multipart, against an S3-compatible store
// outside the Worker (bench/s3-store.mjs: s3rver in this Node process, reached through
// R2_S3_ENDPOINT with credentials, as R2's S3 API would be). Only the calls the Worker answers
// are measured — CPU of the server's workerd processes sampled around each call — and the
// bytes, PUT straight to the store in between, are not; nor is the store's own work (taking
// parts, assembling a completed upload), which happens in this process. workerd only, not the
// whole process group: wrangler's Node process and esbuild watcher burn ~17 ms of CPU per
// second even when idle, which would be counted with any call that waits on the store.
//
// Per size, several uploads, the sizes in turn (the CPU clock ticks every 10 ms, so one upload
// alone is too coarse): the mean per upload, split by call. A multipart upload is create, sign
// every part (100 part numbers a call), list, complete; a single PUT is presign and complete.
import { uploadClient } from "../../test/upload-client.ts";
import { loadAverage, start, stop, ticksToMs, withVars, workerdCpuTicks } from "../harness.mjs";
import { startS3Store } from "../s3-store.mjs";

export const name = "multipart";

const MiB = 1 << 20;
const GiB = 1 << 30;

export async function run(ctx) {
  const quick = ctx.opts.quick;
  const store = await startS3Store();
  // One user uploading again and again, past its rate limit on purpose: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off", ...store.workerVars]);
  try {
    await ctx.anyState(s);
    await start(s);
    const load0 = loadAverage();
    const client = createClient(ctx, s, store);
    // Warm-up (not reported): the first calls of each kind compile the Worker's code paths.
    for (let i = 0; i < 3; i++) {
      await client.multipart(12 * MiB + 1);
      await client.single(MiB);
    }

    ctx.results.multipart = { single: {}, multipart: {} };
    // 5 GiB (the default maximum) in the full run only: each upload still sends 5 GiB over loopback.
    const multipartSizes = [
      { size: 64 * MiB, uploads: quick ? 4 : 20 },
      { size: GiB, uploads: quick ? 4 : 20 },
      ...(quick ? [] : [{ size: 5 * GiB, uploads: 6 }]),
    ];
    const singleSizes = [
      { size: MiB, uploads: quick ? 10 : 40 },
      { size: 100 * MiB, uploads: quick ? 10 : 40 },
    ];
    // Round-robin over the sizes, so that drift (the machine is shared) spreads over all of them.
    const multipart = await roundRobin(multipartSizes, (size) => client.multipart(size));
    const single = await roundRobin(singleSizes, (size) => client.single(size));

    const multipartRows = multipart.map(({ size, uploads, wallS, total, maxTicks }) => {
      const mean = Object.fromEntries(["create", "sign", "list", "complete"].map((k) => [k, ticksToMs(total[k]) / uploads]));
      const all = mean.create + mean.sign + mean.list + mean.complete;
      const completeS = total.completeS / uploads;
      ctx.results.multipart.multipart[size] = { parts: total.parts / uploads, uploads, cpuMsPerUpload: all, ...mean, wallS, completeS };
      return [
        label(size),
        total.parts / uploads,
        uploads,
        `${all.toFixed(1)} (${ticksToMs(maxTicks)})`,
        ...Object.values(mean).map((v) => v.toFixed(1)),
        `${wallS.toFixed(1)} / ${completeS.toFixed(1)}`,
      ];
    });
    const singleRows = single.map(({ size, uploads, total, maxTicks }) => {
      const presign = ticksToMs(total.presign) / uploads;
      const complete = ticksToMs(total.complete) / uploads;
      ctx.results.multipart.single[size] = { uploads, cpuMsPerUpload: presign + complete, presign, complete };
      return [label(size), uploads, `${(presign + complete).toFixed(1)} (${ticksToMs(maxTicks)})`, presign.toFixed(1), complete.toFixed(1)];
    });

    const m = ctx.results.multipart.multipart;
    const sg = ctx.results.multipart.single;
    ctx.results.multipart.ratio = {
      multipart1GiBvs64MiB: m[GiB].cpuMsPerUpload / m[64 * MiB].cpuMsPerUpload,
      ...(m[5 * GiB] && { multipart5GiBvs64MiB: m[5 * GiB].cpuMsPerUpload / m[64 * MiB].cpuMsPerUpload }),
      single100MiBvs1MiB: sg[100 * MiB].cpuMsPerUpload / sg[MiB].cpuMsPerUpload,
    };
    const ratio = ctx.results.multipart.ratio;
    ctx.report.log("## Uploads: the Worker's CPU per upload (store outside the Worker)");
    ctx.report.log();
    ctx.report.log(
      `Store: s3rver in the benchmark's process via R2_S3_ENDPOINT; the bytes go straight to it, unmeasured. CPU: the server's workerd processes per upload, mean and largest; create … complete are means. Load average ${load0} → ${loadAverage()}.`,
    );
    ctx.report.log();
    ctx.report.table(
      [
        "multipart file",
        "parts",
        "uploads",
        "CPU ms per upload, mean (max)",
        "create",
        "sign all parts",
        "list",
        "complete",
        "wall s per upload / in complete",
      ],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
      multipartRows,
    );
    ctx.report.log();
    ctx.report.log(
      `Multipart CPU per upload vs 64 MiB: 1 GiB ${ratio.multipart1GiBvs64MiB.toFixed(2)}×${ratio.multipart5GiBvs64MiB ? `, 5 GiB ${ratio.multipart5GiBvs64MiB.toFixed(2)}×` : ""}.`,
    );
    ctx.report.log();
    ctx.report.table(
      ["single-PUT file", "uploads", "CPU ms per upload, mean (max)", "presign", "complete"],
      ["l", "r", "r", "r", "r"],
      singleRows,
    );
    ctx.report.log();
    ctx.report.log(`Single PUT CPU per upload, 100 MiB vs 1 MiB: ${ratio.single100MiBvs1MiB.toFixed(2)}×.`);
    ctx.report.log();
  } finally {
    await stop(s);
    await store.close();
  }
}

/** Uploads of each size, one size after the other in turn; per size the summed figures and wall time per upload. */
async function roundRobin(sizes, upload) {
  const out = sizes.map(({ size, uploads }) => ({ size, uploads, wallS: 0, total: {} }));
  for (let round = 0; round < Math.max(...sizes.map((s) => s.uploads)); round++) {
    for (const o of out) {
      if (round >= o.uploads) continue;
      const t0 = performance.now();
      const t = await upload(o.size);
      o.wallS += (performance.now() - t0) / 1000 / o.uploads;
      for (const [k, v] of Object.entries(t)) o.total[k] = (o.total[k] ?? 0) + v;
      o.maxTicks = Math.max(o.maxTicks ?? 0, t.cpu);
    }
  }
  return out;
}

const label = (size) => (size >= GiB ? `${size / GiB} GiB` : `${size / MiB} MiB`);

/** Complete uploads through the Worker and the store, with the Worker's CPU (clock ticks) per call. */
function createClient(ctx, s, store) {
  const api = uploadClient({ base: `http://127.0.0.1:${s.port}`, authorization: () => `Bearer ${ctx.token}` });
  /** One Worker call, measured; throws unless it succeeded. */
  const measured = async (what, call) => {
    const c0 = workerdCpuTicks(s.pgid);
    const t0 = performance.now();
    const res = await call();
    const body = res.status === 204 ? null : await res.json();
    const ticks = workerdCpuTicks(s.pgid) - c0;
    if (!res.ok) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`);
    return { body, ticks, seconds: (performance.now() - t0) / 1000 };
  };
  const zeros = new Uint8Array(64 * MiB);
  /** A body of `n` zero bytes, without allocating more than one 64 MiB buffer. */
  const body = (n) =>
    n <= zeros.length
      ? zeros.subarray(0, n)
      : new Blob(
          Array.from({ length: Math.ceil(n / zeros.length) }, (_, i) => zeros.subarray(0, Math.min(zeros.length, n - i * zeros.length))),
        );
  const putTo = async (url, n, headers = {}) => {
    const res = await fetch(url, { method: "PUT", headers, body: body(n) });
    if (!res.ok) throw new Error(`PUT to the store: ${res.status} ${await res.text()}`);
    return res.headers.get("etag");
  };

  return {
    async multipart(size) {
      const t = { create: 0, sign: 0, list: 0, complete: 0, parts: 0, completeS: 0 };
      const created = await measured("create", () => api.createMultipart({ filename: "big.pdf", contentType: "application/pdf", size }));
      const u = created.body;
      t.create += created.ticks;
      t.parts = u.partCount;
      const numbers = Array.from({ length: u.partCount }, (_, i) => i + 1);
      const parts = [];
      for (let i = 0; i < numbers.length; i += 100) {
        const signed = await measured("sign", () => api.signParts(u, numbers.slice(i, i + 100)));
        t.sign += signed.ticks;
        parts.push(...signed.body.parts);
      }
      // Not measured: the bytes, straight to the store, 4 parts in flight.
      const etags = [];
      for (let i = 0; i < parts.length; i += 4) {
        const batch = parts.slice(i, i + 4);
        const tags = await Promise.all(batch.map((p) => putTo(p.url, p.size, p.headers)));
        batch.forEach((p, j) => etags.push({ partNumber: p.partNumber, etag: tags[j] }));
      }
      const listed = await measured("list", () => api.listParts(u));
      t.list += listed.ticks;
      if (listed.body.parts.length !== u.partCount) throw new Error(`list: ${listed.body.parts.length} of ${u.partCount} parts`);
      const done = await measured("complete", () => api.completeMultipart(u, etags));
      t.complete += done.ticks;
      t.completeS += done.seconds;
      t.cpu = t.create + t.sign + t.list + t.complete;
      if (done.body.size !== size) throw new Error(`complete: stored ${done.body.size} bytes, declared ${size}`);
      await store.deleteObject(u.key);
      return t;
    },
    async single(size) {
      const presigned = await measured("presign", () => api.presign({ filename: "big.pdf", contentType: "application/pdf", size }));
      const p = presigned.body;
      await putTo(p.uploadUrl, size, p.headers); // not measured
      const done = await measured("complete", () => api.complete(p.key));
      await store.deleteObject(p.key);
      return { presign: presigned.ticks, complete: done.ticks, cpu: presigned.ticks + done.ticks };
    },
  };
}
