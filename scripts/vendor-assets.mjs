#!/usr/bin/env node
// Copies the browser assets the static pages load from npm packages into OpenNext's assets
// directory, after the OpenNext build and before the bundle or a deploy: served by the assets
// binding from our own origin, outside the Worker bundle, and never committed (package-lock.json
// pins their version). Today: Swagger UI for /docs.
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { root } from "./toolchain.mjs";

const ASSETS = join(root, ".open-next", "assets");

/** [package file, path under the assets directory]. */
const FILES = [
  ["swagger-ui-dist/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "vendor/swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist/LICENSE", "vendor/swagger-ui/LICENSE"],
];

for (const [from, to] of FILES) {
  const target = join(ASSETS, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, "node_modules", from), target);
}
console.log(`copied ${FILES.length} vendored asset files into .open-next/assets/vendor/`);
