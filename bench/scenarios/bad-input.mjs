// Refused bodies against accepted ones of the same size, Routeflare only: a validation 400
// must cost no more CPU than the 201 of a body as large (the answer lists at most 50 field
// paths, so neither its building nor its size grows with the number of bad fields).
// POST /api/posts, rate limits off (one user on purpose, as in `write`).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { medianOfRuns, out, start, stop, withVars } from "../harness.mjs";

export const name = "bad-input";

/** `count` unknown keys, padded to exactly `bytes` with a known field's value. */
function unknownKeys(count, bytes) {
  const keys = Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(",");
  const head = `{"title":"Bench","content":"`;
  const tail = `",${keys}}`;
  return head + "x".repeat(Math.max(1, bytes - head.length - tail.length)) + tail;
}

export async function run(ctx) {
  const s = withVars(ctx.servers.routeflare, ["RATE_LIMITS:off"]);
  await ctx.posts(s, 100);
  const size = 100_000;
  const bodies = [
    ["accepted: a 100 KB create → 201", JSON.stringify({ title: "Bench", content: "x".repeat(size - 40), published: true }), 201],
    ["refused: 100 KB with 7 000 unknown keys → 400", unknownKeys(7_000, size), 400],
    ["refused: 950 KB of 60 000 unknown keys → 400", unknownKeys(60_000, 0), 400],
  ];
  await start(s);
  const rows = [];
  const cpu = {};
  for (const [label, body, status] of bodies) {
    const check = await fetch(`http://127.0.0.1:${s.port}/api/posts`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.token}` },
      body,
    });
    const answer = await check.text();
    if (check.status !== status) throw new Error(`${label}: answered ${check.status} ${answer.slice(0, 200)}`);
    const script = join(out, `bad-input-${rows.length}.lua`);
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${ctx.token}"\nwrk.body = '${body}'\n`,
    );
    const rs = [];
    for (let round = 0; round < ctx.opts.rounds; round++) rs.push(ctx.measure(s, "/api/posts", { script }));
    const r = medianOfRuns(rs);
    cpu[label] = r.cpu;
    rows.push([
      label,
      `${(body.length / 1000).toFixed(0)} KB`,
      `${(answer.length / 1000).toFixed(1)} KB`,
      r.rps.toFixed(0),
      r.p50.toFixed(1),
      r.cpu.toFixed(2),
    ]);
  }
  await stop(s);
  const [accepted, refused] = Object.values(cpu);
  rows.push(["**refused / accepted, same size**", "", "", "", "", `**${(refused / accepted).toFixed(2)}×**`]);
  ctx.report.log("## Refused bodies vs accepted ones (POST /api/posts, Routeflare only)");
  ctx.report.log();
  ctx.report.table(["body", "sent", "answer", "req/s", "p50 ms", "CPU ms/req"], ["l", "r", "r", "r", "r", "r"], rows);
  ctx.report.log();
  ctx.results["bad-input"] = { cpu, ratio: refused / accepted };
}
