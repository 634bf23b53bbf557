/**
 * The README's commands that start a server, run as it writes them: `npm start` ("The two
 * commands") and `npm run dev` (its "Dev loop" paragraph), each spawned with PORT set, in a
 * temporary copy of this checkout with its Worker already built, as `npm test` leaves it
 * (scratch-checkout.ts): a port of its own, its own .wrangler/state, sources it can edit.
 *
 * Real wrangler and workerd, real local D1 and R2. The times they take are printed, never
 * asserted (speed is for benchmarks): the first start, a restart, an edit until it is served.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, removeCopies, repoRoot, run, scratchCheckout, startServer, stopServers, type LocalServer } from "./scratch-checkout";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

/**
 * The command of the README's two-command block that serves (`npm start`), without the
 * `npm install &&` before it: a copy links this checkout's node_modules.
 */
function startCommand(): string[] {
  const block = /<!-- commands:[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const line = block.split("\n").find((l) => /\bnpm start\b/.test(l));
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
  const command = /<!-- dev loop:[^>]*-->\s*\*\*Dev loop\.\*\* `([^`]+)`/.exec(readme)?.[1];
  if (!command) throw new Error("README.md: no **Dev loop.** paragraph opening with a command after the `<!-- dev loop: … -->` marker");
  return command.split(/\s+/);
}

afterAll(async () => {
  await stopServers();
  removeCopies();
}, 120_000);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET or POST on the server, with a bound on the wait: a hung server fails the test instead of stalling it. */
async function call(server: LocalServer, path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.base}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

/** A post by alice, with a token from `npm run token` (what the README uses). */
async function createPost(dir: string, server: LocalServer, title: string) {
  const token = (await run(dir, "npm", "run", "-s", "token", "--", "alice")).trim();
  const res = await call(server, "/api/posts", {
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

describe("npm start (README: The two commands)", () => {
  it(
    "serves the built Worker without rebuilding, on local D1 with the migrations applied; a restart skips the migrations and the cache fill",
    { timeout: 480_000 },
    async () => {
      const dir = scratchCheckout("symlink");
      const port = await freePort();

      expect(startCommand()).toEqual(["npm", "start"]);
      const first = startServer(dir, startCommand(), port);
      const firstMs = await first.healthy(300_000);
      console.log(`npm start, first start (Worker built; migrations and cache fill to do): first healthy answer after ${seconds(firstMs)}`);
      expect(first.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      expect(first.output()).not.toContain("Building the Worker");
      // A first start migrates the new local database and fills the incremental cache.
      expect(first.output()).not.toContain("Local D1 database has every migration.");
      expect(first.output()).toContain("Filling the local incremental cache");

      // The API, the prerendered route from the incremental cache, and a page.
      const health = await call(first, "/api/health");
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ status: "ok", db: "ok" });
      const posts = await call(first, "/api/posts");
      expect(posts.status).toBe(200);
      expect(posts.type).toMatch(/^application\/json/);
      expect(JSON.parse(posts.body)).toMatchObject({ posts: [], nextCursor: null });
      const openapi = await call(first, "/api/openapi.json");
      expect(openapi.status).toBe(200);
      expect(JSON.parse(openapi.body)).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) });
      const docs = await call(first, "/docs");
      expect(docs.status).toBe(200);
      expect(docs.type).toMatch(/^text\/html/);
      expect(docs.body).toContain("<title>Routeflare API reference</title>");

      // Its D1 is the local one under .wrangler/state, every migration applied: what
      // `npx wrangler d1 execute DB --local …` sees (README), while the server runs.
      await createPost(dir, first, "Written through npm start");
      const d1 = async (sql: string) =>
        (
          JSON.parse(await run(dir, "npx", "wrangler", "d1", "execute", "DB", "--local", "--json", "--command", sql)) as [
            { results: Record<string, unknown>[] },
          ]
        )[0].results;
      expect(await d1("SELECT title FROM posts")).toEqual([{ title: "Written through npm start" }]);
      const migrations = readdirSync(join(repoRoot, "drizzle")).filter((name) => name.endsWith(".sql"));
      expect(migrations.length).toBeGreaterThan(0);
      expect((await d1("SELECT name FROM d1_migrations ORDER BY id")).map((row) => row.name)).toEqual(migrations.sort());
      await first.stop();

      // A restart with no source change: no build, no migrations, no cache fill; the data stayed.
      const second = startServer(dir, startCommand(), port);
      const secondMs = await second.healthy(300_000);
      console.log(`npm start, restart (nothing to do): first healthy answer after ${seconds(secondMs)}`);
      expect(second.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      expect(second.output()).toContain("Local D1 database has every migration.");
      expect(second.output()).toContain("Local incremental cache is up to date for this build.");
      const after = await call(second, "/api/posts");
      expect(after.status).toBe(200);
      expect((JSON.parse(after.body) as { posts: { title: string }[] }).posts.map((p) => p.title)).toEqual(["Written through npm start"]);
      await second.stop();
    },
  );
});

describe("npm run dev (README: Dev loop)", () => {
  it(
    "serves a lib/ edit once wrangler rebundles, keeps serving and keeps the local data through the OpenNext rebuild, then serves the public/ edit",
    { timeout: 600_000 },
    async () => {
      const dir = scratchCheckout("hardlink");
      const port = await freePort();
      expect(devCommand()).toEqual(["npm", "run", "dev"]);
      const dev = startServer(dir, devCommand(), port);
      const startMs = await dev.healthy(300_000);
      console.log(`npm run dev: first healthy answer after ${seconds(startMs)}`);
      expect(dev.output()).toContain("Worker build is up to date (dist/): no rebuild.");
      await dev.waitFor("[dev] watching the Worker's sources", 30_000);

      // Local state made before the edits.
      const id = await createPost(dir, dev, "Made before the edit");
      const missing = "/api/posts/no-such-post";
      const title = async () => {
        const res = await call(dev, missing);
        return res.status === 404 ? (JSON.parse(res.body) as { title: string }).title : `HTTP ${res.status}`;
      };
      expect(await title()).toBe("Not Found");
      const page = async () => (await call(dev, "/")).body;
      const mark = "<!-- edited by readme-commands.test.ts -->";
      expect(await page()).toContain("<title>Routeflare</title>");

      // An edit under lib/ that changes a lean-path answer (the title of every 404), and a
      // page edit, saved together: one rebuild follows.
      const edited = "Not Found (edited)";
      edit(dir, "lib/core/problem.ts", '404: "Not Found",', `404: ${JSON.stringify(edited)},`);
      edit(dir, "public/index.html", "</body>", `${mark}</body>`);
      const saved = Date.now();
      for (;;) {
        dev.assertRunning();
        if ((await title()) === edited) break;
        if (Date.now() - saved > 180_000) throw new Error(`the lib/ edit was not served within 180 s. Last lines:\n${dev.tail()}`);
        await sleep(200);
      }
      console.log(`npm run dev: lib/ edit served ${seconds(Date.now() - saved)} after the save`);
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
      for (const deadline = Date.now() + 420_000; !dev.output().includes("[dev] rebuilt"); await sleep(2000)) {
        dev.assertRunning();
        if (dev.output().includes("[dev] build failed")) throw new Error(`the rebuild failed. Last lines:\n${dev.tail()}`);
        if (Date.now() > deadline) throw new Error(`no "[dev] rebuilt" within 420 s of the save. Last lines:\n${dev.tail()}`);
        const sentMidBuild = !existsSync(workerJs);
        inFlight.push(
          Promise.all([title(), call(dev, `/api/posts/${id}`).then((r) => r.status), call(dev, "/").then((r) => r.status)])
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
        if (Date.now() - saved > 540_000) throw new Error(`the public/ edit was not served after the rebuild. Last lines:\n${dev.tail()}`);
        await sleep(500);
      }
      console.log(`npm run dev: public/ edit served ${seconds(Date.now() - saved)} after the save`);
      expect(await title()).toBe(edited);
      const post = await call(dev, `/api/posts/${id}`);
      expect(post.status).toBe(200);
      expect(JSON.parse(post.body)).toMatchObject({ id, title: "Made before the edit" });
      expect((await call(dev, "/api/health")).status).toBe(200);
      await dev.stop();
    },
  );
});
