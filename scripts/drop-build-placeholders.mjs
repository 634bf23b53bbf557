#!/usr/bin/env node
// Deletes the build's cache entries that a route marked as placeholders (the header in
// lib/stats/build-placeholder.ts) from OpenNext's output, before the
// cache is populated (`npm start`, the tests) or deployed. `next build` must prerender a
// time-revalidated route, but it has no database: such a route's first real request renders it.
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { BUILD_PLACEHOLDER_HEADER as HEADER } from "../lib/stats/build-placeholder.ts";
import { root } from "./toolchain.mjs";

function* cacheFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* cacheFiles(full);
    else if (entry.name.endsWith(".cache")) yield full;
  }
}

let dropped = 0;
for (const file of cacheFiles(join(root, ".open-next", "cache"))) {
  const entry = JSON.parse(readFileSync(file, "utf8"));
  if (entry?.meta?.headers?.[HEADER] !== undefined) {
    rmSync(file);
    dropped++;
    console.log(`dropped build placeholder ${relative(root, file)}`);
  }
}
if (dropped === 0) console.log("no build placeholders in .open-next/cache");
