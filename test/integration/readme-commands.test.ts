/**
 * The README's commands that start a server, run as it writes them: `npm start` ("The two
 * commands") and `npm run dev` (its "Dev loop" paragraph), each spawned with PORT set, in a
 * scratch copy of this checkout with its Worker already built, as `npm test` leaves it
 * (scratch-checkout.ts): a port of its own, its own .wrangler/state, sources it can edit.
 *
 * Real wrangler and workerd, real local D1 and R2. The times they take are printed, never
 * asserted (speed is for benchmarks): the first start, a restart, an edit until it is served.
 * Every wait in a test ends by one deadline inside the test's vitest timeout, leaving time to
 * stop its server, so a slow or stuck server fails with its last lines rather than with
 * vitest's bare timeout.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Deadline, readmeBlock, readmeParagraphCommand, sleep } from "./readme-blocks";
import {
  freePort,
  removeCopies,
  repoRoot,
  runInCopy,
  scratchCheckout,
  startServer,
  stopServers,
  type LocalServer,
} from "./scratch-checkout";

/**
 * The command of the README's two-command block that serves (`npm start`), without the
 * `npm install &&` before it: a copy links this checkout's node_modules.
 */
function startCommand(): string[] {
  const line = readmeBlock("commands")
    .split("\n")
    .find((l) => /\bnpm start\b/.test(l));
  if (!line) throw new Error("README.md: no `npm start` line in the block after the `<!-- commands: … -->` marker");
  const [install, command] = line
    .replace(/#.*/, "")
    .split("&&")
    .map((part) => part.trim());
  expect(install).toBe("npm install");
  return command!.split(/\s+/);
}

/** The command the README's "Dev loop" paragraph (after its `<!-- dev loop: … -->` marker) starts with. */
function devCommand(): string[] {
  return readmeParagraphCommand("dev loop").split(/\s+/);
}

afterAll(async () => {
  await stopServers();
  removeCopies();
}, 120_000);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Stopping a server takes up to 20 s (SIGTERM, then SIGKILL after 15 s, then its exit). */
const STOP_MS = 20_000;

/**
 * GET or POST on the server, with a bound on the wait (60 s, or what is left of the test's time):
 * a hung server fails the test instead of stalling it.
 */
async function call(server: LocalServer, time: Deadline, path: string, init: RequestInit = {}) {
  if (time.passed()) throw server.failure(`out of time before ${init.method ?? "GET"} ${path}`);
  const res = await fetch(`${server.base}${path}`, { ...init, signal: AbortSignal.timeout(Math.min(60_000, time.left())) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

/** A post by alice, with a token from `npm run token` (what the README uses). */
async function createPost(dir: string, server: LocalServer, time: Deadline, title: string) {
  const token = (await runInCopy(dir, time.left(), "npm", "run", "-s", "token", "--", "alice")).trim();
  const res = await call(server, time, "/api/posts", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ title, content: "written by readme-commands.test.ts", published: true }),
  });
  expect(res.status, res.body).toBe(201);
  return (JSON.parse(res.body) as { id: string }).id;
}

/** Replaces `from` by `to` in the copy's file, as an editor saving it. */
function edit(dir: string, path: string, from: string, to: string) {
  const file = join(dir, path);
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${path} no longer contains ${JSON.stringify(from)}: update readme-commands.test.ts`);
  writeFileSync(file, text.replace(from, to));
}

const START_TIMEOUT = 480_000;

describe("npm start (README: The two commands)", () => {
  it(
    "serves the built Worker without rebuilding, on local D1 with the migrations applied; a restart skips the migrations and the cache fill",
    { timeout: START_TIMEOUT },
    async () => {
      // Every wait ends by this, leaving time to stop both servers.
      const time = new Deadline(START_TIMEOUT - 2 * STOP_MS - 10_000);
      const dir = scratchCheckout("symlink");
      const port = await freePort();

      expect(startCommand()).toEqual(["npm", "start"]);
      const first = startServer(dir, startCommand(), port);
      const firstMs = await first.healthy(time.left());
      console.log(`npm start, first start (Worker built; migrations and cache fill to do): first healthy answer after ${seconds(firstMs)}`);
      expect(first.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      expect(first.output()).not.toContain("Building the Worker");
      // A first start migrates the new local database and fills the incremental cache.
      expect(first.output()).not.toContain("Local D1 database has every migration.");
      expect(first.output()).toContain("Filling the local incremental cache");

      // The API, the prerendered route from the incremental cache, and a page.
      const health = await call(first, time, "/api/health");
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: "ok", db: "ok" });
      const posts = await call(first, time, "/api/posts");
      expect(posts.status).toBe(200);
      expect(posts.type).toMatch(/^application\/json/);
      expect(JSON.parse(posts.body)).toMatchObject({ posts: [], nextCursor: null });
      const openapi = await call(first, time, "/api/openapi.json");
      expect(openapi.status).toBe(200);
      expect(JSON.parse(openapi.body)).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) });
      const docs = await call(first, time, "/docs");
      expect(docs.status).toBe(200);
      expect(docs.type).toMatch(/^text\/html/);
      expect(docs.body).toContain("<title>Routeflare API reference</title>");

      // Its D1 is the local one under .wrangler/state, every migration applied: what
      // `npx wrangler d1 execute DB --local …` sees (README), while the server runs.
      await createPost(dir, first, time, "Written through npm start");
      const d1 = async (sql: string) =>
        (
          JSON.parse(
            await runInCopy(dir, time.left(), "npx", "wrangler", "d1", "execute", "DB", "--local", "--json", "--command", sql),
          ) as [{ results: Record<string, unknown>[] }]
        )[0].results;
      expect(await d1("SELECT title FROM posts")).toEqual([{ title: "Written through npm start" }]);
      const migrations = readdirSync(join(repoRoot, "drizzle")).filter((name) => name.endsWith(".sql"));
      expect(migrations.length).toBeGreaterThan(0);
      expect((await d1("SELECT name FROM d1_migrations ORDER BY id")).map((row) => row.name)).toEqual(migrations.sort());
      await first.stop();

      // A restart with no source change: no build, no migrations, no cache fill; the data stayed.
      const second = startServer(dir, startCommand(), port);
      const secondMs = await second.healthy(time.left());
      console.log(`npm start, restart (nothing to do): first healthy answer after ${seconds(secondMs)}`);
      expect(second.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      expect(second.output()).toContain("Local D1 database has every migration.");
      expect(second.output()).toContain("Local incremental cache is up to date for this build.");
      const after = await call(second, time, "/api/posts");
      expect(after.status).toBe(200);
      expect((JSON.parse(after.body) as { posts: { title: string }[] }).posts.map((p) => p.title)).toEqual(["Written through npm start"]);
      await second.stop();
    },
  );
});

const DEV_TIMEOUT = 600_000;

describe("npm run dev (README: Dev loop)", () => {
  it(
    "serves a lib/ edit once wrangler rebundles, keeps serving and keeps the local data through the OpenNext rebuild, then serves the public/ edit",
    { timeout: DEV_TIMEOUT },
    async () => {
      // Every wait ends by this, leaving time to stop the server.
      const time = new Deadline(DEV_TIMEOUT - STOP_MS - 10_000);
      const dir = scratchCheckout("hardlink");
      const port = await freePort();
      expect(devCommand()).toEqual(["npm", "run", "dev"]);
      const dev = startServer(dir, devCommand(), port);
      const startMs = await dev.healthy(time.left());
      console.log(`npm run dev: first healthy answer after ${seconds(startMs)}`);
      expect(dev.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      await dev.waitFor("[dev] watching the Worker's sources", time.left());

      // Local state made before the edits.
      const id = await createPost(dir, dev, time, "Made before the edit");
      const missing = "/api/posts/no-such-post";
      const title = async () => {
        const res = await call(dev, time, missing);
        return res.status === 404 ? (JSON.parse(res.body) as { title: string }).title : `HTTP ${res.status}`;
      };
      expect(await title()).toBe("Not Found");
      const page = async () => (await call(dev, time, "/")).body;
      const mark = "<!-- edited by readme-commands.test.ts -->";
      expect(await page()).toContain("<title>Routeflare</title>");

      // An edit under lib/ that changes a lean-path answer (the title of every 404), and a
      // page edit, saved together: one rebuild follows.
      const edited = "Not Found (edited)";
      edit(dir, "lib/core/problem.ts", '404: "Not Found",', `404: ${JSON.stringify(edited)},`);
      edit(dir, "public/index.html", "</body>", `${mark}</body>`);
      const saved = Date.now();
      const sinceSave = () => seconds(Date.now() - saved);
      for (;;) {
        dev.assertRunning();
        if ((await title()) === edited) break;
        if (time.passed()) throw dev.failure(`the lib/ edit was not served ${sinceSave()} after the save (out of time)`);
        await sleep(200);
      }
      console.log(`npm run dev: lib/ edit served ${sinceSave()} after the save`);
      // The page waits for the OpenNext rebuild; the previous one is served meanwhile.
      expect(await page()).not.toContain(mark);

      // Until the rebuild is done, every request is answered: the lean-path edit, the data, the
      // page. For most of the build, .open-next/ is deleted and being rewritten (worker.js last):
      // a request sent meanwhile must be answered before the build writes worker.js again. A
      // server that holds requests until the build is done (wrangler does while its rebundles
      // fail: it bundled from .open-next/ until this test caught it) answers them only after.
      // Requests are sent every 2 s without waiting for the previous answers.
      const workerJs = join(dir, ".open-next", "worker.js");
      const during: { answers: string; sentMidBuild: boolean; answeredMidBuild: boolean }[] = [];
      const inFlight: Promise<void>[] = [];
      for (; !dev.output().includes("[dev] rebuilt"); await sleep(2000)) {
        dev.assertRunning();
        if (dev.output().includes("[dev] build failed")) throw dev.failure("the rebuild failed");
        if (time.passed()) throw dev.failure(`no "[dev] rebuilt" ${sinceSave()} after the save (out of time)`);
        const sentMidBuild = !existsSync(workerJs);
        inFlight.push(
          Promise.all([title(), call(dev, time, `/api/posts/${id}`).then((r) => r.status), call(dev, time, "/").then((r) => r.status)])
            .then((answers) => answers.join(" "))
            .catch((err: Error) => `no answer: ${err.message}`)
            .then((answers) => void during.push({ answers, sentMidBuild, answeredMidBuild: !existsSync(workerJs) })),
        );
      }
      await Promise.all(inFlight);
      console.log(`npm run dev: ${/\[dev\] rebuilt in [\d.]+ s/.exec(dev.output())?.[0]}`);
      expect(during.filter(({ answers }) => answers !== `${edited} 200 200`)).toEqual([]);
      const midBuild = during.filter(({ sentMidBuild }) => sentMidBuild);
      expect(midBuild.length, "requests sent while the build rewrote .open-next/").toBeGreaterThanOrEqual(3);
      // One may be in flight when worker.js is written.
      expect(midBuild.filter(({ answeredMidBuild }) => !answeredMidBuild).length, "of them, answered only after it").toBeLessThanOrEqual(1);

      // The rebuilt output is swapped in: the page edit is served, the lib/ edit still is, the
      // data made before the edits is still there.
      for (;;) {
        dev.assertRunning();
        if ((await page()).includes(mark)) break;
        if (time.passed())
          throw dev.failure(`the public/ edit was not served after the rebuild, ${sinceSave()} after the save (out of time)`);
        await sleep(500);
      }
      console.log(`npm run dev: public/ edit served ${sinceSave()} after the save`);
      expect(await title()).toBe(edited);
      const post = await call(dev, time, `/api/posts/${id}`);
      expect(post.status).toBe(200);
      expect(JSON.parse(post.body)).toMatchObject({ id, title: "Made before the edit" });
      expect((await call(dev, time, "/api/health")).status).toBe(200);
      await dev.stop();
    },
  );
});
