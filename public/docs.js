// The API reference: Swagger UI rendering /api/openapi.json, with "Try it out" against this
// origin (the document's server is "/"). Everything it loads comes from this origin.
const ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  displayOperationId: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
  persistAuthorization: false,
  // No call to the public validator service (its badge would fetch from another host).
  validatorUrl: null,
});
window.ui = ui;

// In development the server mints tokens for the demo pages (POST /api/dev/token; the route does
// not exist in production): one click fills Swagger UI's own "Authorize" dialog with one.
const button = document.getElementById("dev-token");
const status = document.getElementById("dev-token-status");
button.addEventListener("click", async () => {
  const res = await fetch("/api/dev/token", { method: "POST" });
  if (!res.ok) {
    status.className = "error";
    status.textContent =
      res.status === 404 ? "No dev tokens here: this server is not in development mode." : `The server answered ${res.status}.`;
    return;
  }
  const { token, sub } = await res.json();
  ui.preauthorizeApiKey("bearer", token);
  status.className = "ok";
  status.textContent = `Authorized as ${sub ?? "demo-user"}: "Try it out" now sends this bearer token.`;
});
