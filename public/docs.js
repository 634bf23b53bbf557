// Renders /api/openapi.json: one collapsible entry per operation, grouped by tag.
const status = document.getElementById("status");
const root = document.getElementById("operations");

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

const json = (value) => el("pre", { textContent: JSON.stringify(value, null, 2) });

function resolve(doc, item) {
  // Only local component references occur in the document.
  return item && item.$ref ? item.$ref.slice(2).split("/").reduce((o, k) => o[k], doc) : item;
}

function operation(doc, path, method, op) {
  const auth = op.security ? (op.security.some((s) => Object.keys(s).length === 0) ? "optional bearer" : "bearer") : "none";
  const body = op.requestBody && Object.entries(op.requestBody.content)[0];
  const responses = Object.entries(op.responses).map(([code, r]) => {
    const res = resolve(doc, r);
    const media = res.content && Object.entries(res.content)[0];
    return el("li", {}, el("code", { textContent: code }), ` ${res.description}`, media ? el("details", {}, el("summary", { textContent: media[0] }), json(resolve(doc, media[1].schema))) : undefined);
  });
  return el(
    "details",
    { className: "operation", id: op.operationId },
    el("summary", {}, el("code", { textContent: `${method.toUpperCase()} ${path}` }), ` — ${op.summary}`),
    op.description ? el("p", { textContent: op.description }) : undefined,
    el("p", { textContent: `Auth: ${auth}` }),
    op.parameters?.length ? el("ul", {}, ...op.parameters.map((p) => el("li", {}, el("code", { textContent: p.name }), ` (${p.in}${p.required ? ", required" : ""}) ${p.description ?? ""}`))) : undefined,
    body ? el("div", {}, el("p", { textContent: `Body: ${body[0]}` }), json(body[1].schema)) : undefined,
    el("ul", {}, ...responses),
  );
}

try {
  const res = await fetch("/api/openapi.json");
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const doc = await res.json();
  const byTag = new Map();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags?.[0] ?? "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(doc, path, method, op));
    }
  }
  for (const [tag, items] of byTag) root.append(el("h2", { textContent: tag }), ...items);
  status.textContent = `${doc.info.title} ${doc.info.version} · OpenAPI ${doc.openapi} · ${root.querySelectorAll(".operation").length} operations`;
} catch (err) {
  status.textContent = `could not load the document: ${err.message}`;
}
