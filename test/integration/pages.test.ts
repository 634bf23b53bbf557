/** The demo pages (static assets): security headers on the built Worker's asset responses. */
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { useWorker } from "./harness";

const w = useWorker({ wipeEachTest: false });

/** The CSP's directives as a map: name → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

describe("demo pages and their files", () => {
  for (const path of [
    "/",
    "/chat",
    "/uploads",
    "/docs",
    "/demo.js",
    "/chat.js",
    "/uploads.js",
    "/upload-transfer.js",
    "/upload-row.js",
    "/docs.js",
    "/demo.css",
    "/favicon.svg",
  ]) {
    it(`${path}: CSP with frame-ancestors, X-Frame-Options, Referrer-Policy, nosniff`, async () => {
      const res = await w.fetch(path);
      expect(res.status).toBe(200);
      const csp = directives(res.headers.get("content-security-policy") ?? "");
      expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
      expect(csp.get("default-src")).toEqual(["'none'"]);
      // No inline or eval'd script anywhere: only same-origin script files.
      expect(csp.get("script-src")).toEqual(["'self'"]);
      expect(csp.get("base-uri")).toEqual(["'none'"]);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await res.arrayBuffer();
    });
  }

  it("the pages carry no inline script (the CSP would block it)", async () => {
    for (const path of ["/", "/chat", "/uploads", "/docs"]) {
      const html = await (await w.fetch(path)).text();
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\/[a-z0-9/._-]+\.js"/);
      expect(html).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it("the _headers file itself is not served", async () => {
    expect((await w.fetch("/_headers")).status).toBe(404);
  });

  it("wrangler.toml sends every /api path to the Worker before any asset lookup (run_worker_first)", () => {
    const { assets } = unstable_readConfig({ config: "./wrangler.toml" }) as unknown as { assets?: { run_worker_first?: unknown } };
    expect(assets?.run_worker_first).toEqual(["/api", "/api/*"]);
  });
});
