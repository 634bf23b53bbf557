/**
 * lib/ is in layers (LIB_LAYERS in eslint.config.mjs): the lint rule that `npm test` runs refuses
 * an import from a peer or from above, and so any loop between lib/ folders.
 */
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { LIB_LAYERS } from "../../eslint.config.mjs";

const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "layers/order").map((m) => m.message);
}

describe("the layers/order lint rule", () => {
  it("refuses an import from a higher layer, from a peer, and from an unplaced folder", async () => {
    expect(await layerErrors("lib/db/new-module.ts", 'import { json } from "../http/json";\nexport const x = json;\n')).toEqual([
      expect.stringMatching(/lib\/db \(layer 2\) may not import lib\/http \(layer 4\)/),
    ]);
    // The development fault switches wrap db's session: db never reaches for them.
    expect(await layerErrors("lib/db/new-module.ts", 'import { d1Faults } from "../faults/d1";\nexport const x = d1Faults;\n')).toEqual([
      expect.stringMatching(/lib\/db \(layer 2\) may not import lib\/faults \(layer 3\)/),
    ]);
    expect(
      await layerErrors("lib/posts/new-module.ts", 'import { keyFor } from "@/lib/uploads/keys";\nexport const x = keyFor;\n'),
    ).toEqual([expect.stringMatching(/lib\/posts .* may not import lib\/uploads/)]);
    expect(await layerErrors("lib/core/new-module.ts", 'import type { Config } from "../config";\nexport type X = Config;\n')).toEqual([
      expect.stringMatching(/lib\/core \(layer 0\) may not import lib\/config/),
    ]);
    expect(await layerErrors("lib/newfolder/x.ts", 'import { json } from "../http/json";\nexport const x = json;\n')).toEqual([
      expect.stringMatching(/lib\/newfolder has no layer/),
    ]);
  });

  it("accepts imports from lower layers and within a folder", async () => {
    expect(
      await layerErrors(
        "lib/posts/new-module.ts",
        'import { json } from "../http/json";\nimport { toPost } from "./posts";\nexport const x = [json, toPost];\n',
      ),
    ).toEqual([]);
    expect(await layerErrors("lib/openapi/new-module.ts", 'import * as posts from "@/lib/posts/api";\nexport const x = posts;\n')).toEqual(
      [],
    );
  });

  it("places every folder of lib/ in exactly one layer", async () => {
    const { readdirSync } = await import("node:fs");
    const folders = readdirSync("lib", { withFileTypes: true }).map((d) => (d.isDirectory() ? d.name : d.name.replace(/\.ts$/, "")));
    const placed = LIB_LAYERS.flat();
    expect(new Set(placed).size).toBe(placed.length);
    for (const folder of folders) expect(placed, folder).toContain(folder);
  });
});
