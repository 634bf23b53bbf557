#!/usr/bin/env node
// Validates every GitHub Actions workflow in .github/workflows against the workflow JSON schema
// (@action-validator, offline: the schema ships inside the package). Run by `npm test`.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { bin, root, run } from "./toolchain.mjs";

const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
if (files.length === 0) throw new Error("no workflow files in .github/workflows");
for (const f of files) {
  await run(bin("action-validator"), [join(dir, f)]);
  console.log(`workflow ok: .github/workflows/${f}`);
}
