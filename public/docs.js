// The API reference: Swagger UI rendering /api/openapi.json, with "Try it out" against this
// origin (the document's server is "/"). Everything it loads comes from this origin.
window.ui = SwaggerUIBundle({
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
