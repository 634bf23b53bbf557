/**
 * docs/api.md's generated part is the OpenAPI document and the problem-type list rendered
 * as prose: a route, status, header or limit changed without `npm run docs:api` fails here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { renderApiReference, spliceReference } from "../../scripts/api-reference";
import { PROBLEM_TYPES } from "@/lib/http/problem-types";
import { operations } from "@/lib/openapi/document";

const FILE = new URL("../../docs/api.md", import.meta.url);

it("docs/api.md's reference part is current (npm run docs:api rewrites it)", () => {
  const file = readFileSync(FILE, "utf8");
  const expected = spliceReference(file, renderApiReference());
  if (process.env.UPDATE_API_REFERENCE === "1") writeFileSync(FILE, expected);
  expect(file).toBe(expected);
});

it("names every operation and every problem type", () => {
  const file = readFileSync(FILE, "utf8");
  for (const op of operations) expect(file).toContain(`### \`${op.method.toUpperCase()} ${op.path}\``);
  for (const slug of Object.keys(PROBLEM_TYPES)) expect(file).toContain(`| \`${slug}\` |`);
});
