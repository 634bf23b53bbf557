// Multipart uploads: the Worker's CPU per upload. For each file size, one upload: the calls the
// Worker answers (create, sign every part, list, complete) are measured — CPU of the whole server
// process group sampled around each call — and the part bytes, PUT to the local dev store in
// between, are not. Part signing is per part (5 MiB parts up to 50 GiB), so it is reported apart
// from the per-upload calls.
import { groupCpuTicks, start, stop, ticksToMs, withVars } from "../harness.mjs";

export const name = "multipart";

const MiB = 1 << 20;

export async function run(ctx) {
  // One user starting upload after upload, past its rate limit on purpose: measured with limits off.
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.anyState(s);
  await start(s);
  const base = `http://127.0.0.1:${s.port}`;
  const auth = { authorization: `Bearer ${ctx.token}` };
  const rows = [];
  ctx.results.multipart = {};
  for (const size of [64 * MiB, 1024 * MiB]) {
    const cpu = { upload: 0, signing: 0 };
    const measured = async (what, call) => {
      const c0 = groupCpuTicks(s.pgid);
      const res = await call();
      const body = res.status === 204 ? null : await res.json();
      cpu[what] += groupCpuTicks(s.pgid) - c0;
      if (!res.ok) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const u = await measured("upload", () =>
      ctx.post(s, "/api/uploads/multipart", { filename: "big.pdf", contentType: "application/pdf", size }),
    );
    const numbers = Array.from({ length: u.partCount }, (_, i) => i + 1);
    const parts = [];
    for (let i = 0; i < numbers.length; i += 100) {
      const signed = await measured("signing", () =>
        ctx.post(s, "/api/uploads/multipart/parts", { key: u.key, uploadId: u.uploadId, partNumbers: numbers.slice(i, i + 100) }),
      );
      parts.push(...signed.parts);
    }
    // Not measured: the bytes, to the local dev store (in production they never reach the Worker).
    const etags = [];
    const zeros = new Uint8Array(u.partSize);
    for (let i = 0; i < parts.length; i += 4) {
      etags.push(
        ...(await Promise.all(
          parts.slice(i, i + 4).map(async (p) => {
            const res = await fetch(p.url, { method: "PUT", body: zeros.subarray(0, p.size) });
            if (!res.ok) throw new Error(`part ${p.partNumber}: ${res.status}`);
            return { partNumber: p.partNumber, etag: res.headers.get("etag") };
          }),
        )),
      );
    }
    const query = new URLSearchParams({ key: u.key, uploadId: u.uploadId });
    await measured("upload", () => fetch(`${base}/api/uploads/multipart?${query}`, { headers: auth }));
    await measured("upload", () => ctx.post(s, "/api/uploads/multipart/complete", { key: u.key, uploadId: u.uploadId, parts: etags }));
    const upload = ticksToMs(cpu.upload);
    const signing = ticksToMs(cpu.signing);
    ctx.results.multipart[size] = { parts: u.partCount, uploadCpuMs: upload, signingCpuMs: signing };
    rows.push([`${size / MiB} MiB`, u.partCount, upload.toFixed(0), signing.toFixed(0), (signing / u.partCount).toFixed(2)]);
  }
  ctx.report.log("## Multipart uploads: the Worker's share");
  ctx.report.log();
  ctx.report.table(
    ["file", "parts", "CPU ms: create + list + complete", "CPU ms: signing all parts", "signing CPU ms per part"],
    ["l", "r", "r", "r", "r"],
    rows,
  );
  ctx.report.log();
  await stop(s);
}
