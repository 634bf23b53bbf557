/**
 * The demo pages as a visitor sees them, in Chromium: every page links every other, shares the
 * one stylesheet, has a favicon, and logs nothing in the console (CSP violations included: the
 * browser reports them there). /docs authorizes itself with a dev token and "Try it out" calls
 * this server with it. A full-page screenshot of each page is kept in test-artifacts/.
 */
import type { ConsoleMessage, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

// The dev token route (the /docs button) exists only while the Worker signs with its dev secret.
const w = useWorker({ devSecret: true, wipeEachTest: false });
const browser = useBrowser();

const PAGES = { "/": "home", "/docs": "docs", "/chat": "chat", "/uploads": "uploads" } as const;

/** Opens `path` and records everything that would show up red in the developer tools. */
async function visit(path: string) {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  await page.goto(new URL(path, w.url()).toString(), { waitUntil: "networkidle" });
  return { page, problems };
}

const waitForReference = (page: Page) => page.waitForSelector(".opblock-summary-operation-id", { timeout: 15_000 });

describe("demo pages (Chromium)", () => {
  for (const [path, name] of Object.entries(PAGES)) {
    it(`${path}: links every other page, one shared stylesheet, a favicon, a clean console`, async () => {
      const { page, problems } = await visit(path);
      if (path === "/docs") await waitForReference(page);

      const nav = await page.$$eval("nav.site-nav .links a", (links) => links.map((a) => a.getAttribute("href")));
      expect(nav).toEqual(Object.keys(PAGES));
      expect(await page.getAttribute("nav.site-nav [aria-current=page]", "href")).toBe(path);

      const sheets = await page.$$eval("link[rel=stylesheet]", (links) => links.map((l) => l.getAttribute("href")));
      expect(sheets).toContain("/demo.css");
      expect(sheets.filter((s) => !s!.startsWith("/vendor/"))).toEqual(["/demo.css"]);
      // The stylesheet really applies (its nav rule lays the bar out as a flex row).
      expect(await page.$eval("nav.site-nav", (n) => getComputedStyle(n).display)).toBe("flex");

      const icon = await page.getAttribute("link[rel=icon]", "href");
      const res = await w.fetch(icon!);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
      await res.arrayBuffer();

      await page.screenshot({ path: `${ARTIFACTS}/page-${name}.png`, fullPage: true });
      expect(problems).toEqual([]);
      await page.close();
    });
  }

  it("the navigation bar takes a visitor from page to page", async () => {
    const { page, problems } = await visit("/");
    for (const [path, label] of [
      ["/chat", "Chat"],
      ["/uploads", "Uploads"],
      ["/docs", "API reference"],
      ["/", "Home"],
    ] as const) {
      await Promise.all([page.waitForURL(new URL(path, w.url()).toString()), page.click(`nav.site-nav .links >> text=${label}`)]);
      expect(new URL(page.url()).pathname).toBe(path);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("/docs: the dev-token button authorizes the page, and Try it out sends the token", async () => {
    const { page, problems } = await visit("/docs");
    await waitForReference(page);
    // Swagger UI's icons are data: images: they render under the page's CSP (no violation logged).
    expect(await page.$$eval("svg, img", (n) => n.length)).toBeGreaterThan(0);

    await page.click("#dev-token");
    await page.waitForSelector("#dev-token-status.ok");
    expect(await page.textContent("#dev-token-status")).toContain("Authorized as demo-user");

    // GET /api/posts?drafts=true needs a bearer token (401 without): with the dev token, 200.
    const block = "#operations-posts-getApiPosts";
    await page.click(`${block} .opblock-summary`);
    await page.click(`${block} .try-out__btn`);
    await page.selectOption(`${block} tr[data-param-name="drafts"] select`, "true");
    await page.click(`${block} .execute`);
    const status = `${block} .live-responses-table tbody .response-col_status`;
    await page.waitForSelector(status, { timeout: 10_000 });
    expect((await page.textContent(status))!.trim()).toBe("200");
    expect(await page.textContent(`${block} .curl-command`)).toMatch(/Authorization: Bearer ey/);

    await page.screenshot({ path: `${ARTIFACTS}/page-docs-authorized.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
