/**
 * The API reference page (/docs, Swagger UI from our own origin) lists every operation of the
 * OpenAPI document and can call the local server, in a real browser with DNS off except loopback.
 */
import { describe, expect, it } from "vitest";
import { ARTIFACTS, useBrowser } from "./browser";
import { useWorker } from "./harness";

const w = useWorker({ wipeEachTest: false });
const browser = useBrowser();

describe("API reference page (Chromium)", () => {
  it("shows every operationId, loads nothing from another origin, and tries an operation out", async () => {
    const doc = (await (await w.fetch("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId: string; tags: string[] }>>;
    };
    const ops = Object.values(doc.paths).flatMap((byMethod) => Object.values(byMethod));
    const ids = ops.map((op) => op.operationId);
    expect(ids.length).toBeGreaterThan(10);

    const page = await browser.newPage();
    const origin = w.url().origin;
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("data:") && new URL(r.url()).origin !== origin) foreign.push(r.url());
    });
    page.on("requestfailed", (r) => failed.push(r.url()));
    await page.goto(new URL("/docs", origin).toString());
    await page.waitForSelector(".opblock-summary-operation-id", { timeout: 15_000 });

    const shown = await page.$$eval(".opblock-summary-operation-id", (nodes) => nodes.map((n) => n.textContent!.trim()));
    expect([...new Set(shown)].sort()).toEqual([...new Set(ids)].sort());

    // The create-post entry shows the request schema from the validating zod schema.
    const create = ops.find((op) => op.operationId === "postApiPosts")!;
    const createBlock = `#operations-${create.tags[0]}-postApiPosts`;
    await page.click(`${createBlock} .opblock-summary`);
    await page.click(`${createBlock} .opblock-section-request-body [data-name="model"]`);
    await page.waitForSelector(`${createBlock} .model-box`);
    expect(await page.textContent(`${createBlock} .opblock-section-request-body`)).toContain("title");

    // "Try it out" on the health check calls this server and shows its answer.
    const health = ops.find((op) => op.operationId === "getApiHealth")!;
    const healthBlock = `#operations-${health.tags[0]}-getApiHealth`;
    await page.click(`${healthBlock} .opblock-summary`);
    await page.click(`${healthBlock} .try-out__btn`);
    await page.click(`${healthBlock} .execute`);
    await page.waitForSelector(`${healthBlock} .live-responses-table tbody .response-col_status`, { timeout: 10_000 });
    expect(await page.textContent(`${healthBlock} .live-responses-table tbody .response-col_status`)).toContain("200");
    expect(await page.textContent(`${healthBlock} .live-responses-table tbody .response-col_description`)).toContain('"status": "ok"');

    await page.screenshot({ path: `${ARTIFACTS}/docs.png`, fullPage: true });
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
  });
});
