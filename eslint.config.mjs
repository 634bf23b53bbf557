// Lint: TypeScript rules everywhere, and edge purity for what runs in the Worker (app/, lib/,
// worker/): Web APIs only. OpenNext serves `runtime = "edge"` routes as a silent 500, and
// Node built-ins / Buffer / process.env either do not exist on workerd or hide config reads.
import tseslint from "typescript-eslint";

const NODE_MODULES = [
  "assert",
  "buffer",
  "child_process",
  "cluster",
  "crypto",
  "dgram",
  "dns",
  "events",
  "fs",
  "fs/promises",
  "http",
  "https",
  "http2",
  "net",
  "os",
  "path",
  "perf_hooks",
  "process",
  "querystring",
  "readline",
  "stream",
  "string_decoder",
  "timers",
  "tls",
  "tty",
  "url",
  "util",
  "v8",
  "vm",
  "worker_threads",
  "zlib",
];

/** Runs on workerd: Web APIs only. */
const WORKER_IMPORTS = {
  paths: NODE_MODULES.map((name) => ({ name, message: "Runs on workerd: use Web APIs (fetch, Web Streams, WebCrypto, TextEncoder)." })),
  patterns: [{ group: ["node:*"], message: "Runs on workerd: use Web APIs, not Node built-ins." }],
};

/**
 * lib/ in layers, bottom to top: each folder may import only from folders in lower layers, never
 * from a peer or from above, so no two folders import each other, directly or around a loop,
 * and each can be read and tested with only what is below it. A folder not listed here is an
 * error until it is placed. (lib/config.ts counts as the folder `config`.)
 */
export const LIB_LAYERS = [
  ["core"], // shared leaves: logging, problem types, encoding
  ["config"], // the one reader of the Worker's vars and secrets
  ["db", "auth"], // D1 access; bearer tokens
  // Development-only fault switches (FAULT_*): wrappers of the D1 session and the R2 bucket. Below
  // the request pipeline and the features, which each apply them through one hook, and above db,
  // whose session they wrap.
  ["faults"],
  ["http"], // the request pipeline and the endpoint declaration kit
  ["posts", "uploads", "webhooks", "chat", "stats"], // features
  // Development only: the dev S3 endpoint and where presigned URLs point at it, the dev token,
  // and the parts ledger that stands in for the store's multipart calls without credentials. The
  // features never import it: the route files and the daily job above hand the dev target and
  // the ledger to lib/uploads, all through lib/dev/stand-ins.ts.
  ["dev"],
  ["maintenance", "openapi"], // the cron job, the OpenAPI assembly
];

const layerOf = (folder) => LIB_LAYERS.findIndex((layer) => layer.includes(folder));

/** The lib/ folder a path inside lib/ belongs to ("lib/http/route.ts" → "http", "lib/config.ts" → "config"). */
const libFolder = (path) => {
  const m = /(?:^|\/)lib\/([^/]+)/.exec(path.replaceAll("\\", "/"));
  return m ? m[1].replace(/\.tsx?$/, "") : null;
};

const layersPlugin = {
  rules: {
    order: {
      meta: { type: "problem", schema: [] },
      create(context) {
        const file = context.filename.replaceAll("\\", "/");
        const from = libFolder(file.slice(file.lastIndexOf("/lib/") + 1));
        if (!from) return {};
        const check = (node) => {
          const spec = node.source?.value;
          if (typeof spec !== "string") return;
          let target = null;
          if (spec.startsWith("@/lib/")) target = libFolder(spec.slice(2));
          else if (spec.startsWith(".")) target = libFolder(new URL(spec, `file://${file}`).pathname);
          if (!target || target === from) return;
          const [a, b] = [layerOf(from), layerOf(target)];
          if (a < 0 || b < 0) {
            context.report({ node, message: `lib/${a < 0 ? from : target} has no layer: add it to LIB_LAYERS in eslint.config.mjs.` });
          } else if (b >= a) {
            context.report({
              node,
              message: `lib/${from} (layer ${a}) may not import lib/${target} (layer ${b}): a folder imports only from lower layers (LIB_LAYERS in eslint.config.mjs).`,
            });
          }
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

export default tseslint.config(
  {
    ignores: [
      ".next/",
      ".open-next/",
      "dist/",
      "node_modules/",
      "**/.wrangler/",
      "bench-results/",
      "test-artifacts/",
      "cloudflare-env.d.ts",
      "next-env.d.ts",
      "worker/routes.generated.ts",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["app/**/*.{ts,tsx}", "lib/**/*.{ts,tsx}", "worker/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", WORKER_IMPORTS],
      "no-restricted-globals": [
        "error",
        { name: "Buffer", message: "Use Uint8Array / TextEncoder." },
        { name: "process", message: "Read configuration in lib/config.ts from the Worker env." },
        { name: "require", message: "ES modules only." },
        { name: "__dirname", message: "No file system on workerd." },
      ],
      // A function longer than a screen does more than one job: split it.
      "max-lines-per-function": ["error", { max: 59 }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ExportNamedDeclaration > VariableDeclaration > VariableDeclarator[id.name='runtime']",
          message:
            "No `export const runtime`: OpenNext answers edge routes with a silent 500; the default runtime already runs on workerd.",
        },
        {
          // `z` is a namespace object: it keeps every zod export (all locales) in the bundle, +360 KB.
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: 'Use `import * as z from "zod"`: it tree-shakes; the `z` object does not.',
        },
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "Read configuration in lib/config.ts from the Worker env.",
        },
      ],
    },
  },
  {
    files: ["scripts/**/*.mjs", "bench/**/*.mjs", "*.config.{ts,mjs}"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    files: ["lib/**/*.{ts,tsx}"],
    plugins: { layers: layersPlugin },
    rules: { "layers/order": "error" },
  },
  {
    // The dependency runs one way: app/ and worker/ use lib/, never the reverse.
    files: ["lib/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          ...WORKER_IMPORTS,
          patterns: [
            ...WORKER_IMPORTS.patterns,
            {
              group: ["**/app/*", "@/app/*", "**/worker/*", "@/worker/*"],
              message: "lib/ never imports app/ or worker/: they build on lib/.",
            },
          ],
        },
      ],
    },
  },
);
