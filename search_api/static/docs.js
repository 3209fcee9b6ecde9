// Starts Swagger UI (/docs) or ReDoc (/redoc) on this server's OpenAPI: a file rather than the
// inline script FastAPI's own pages use, so the pages keep a Content Security Policy without
// 'unsafe-inline' scripts. The tools themselves are served from the installed package.
/* global SwaggerUIBundle, Redoc */

const swagger = document.getElementById("swagger-ui");
if (swagger && typeof SwaggerUIBundle === "function") {
  SwaggerUIBundle({ url: swagger.dataset.openapi, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
}
const redoc = document.getElementById("redoc");
if (redoc && typeof Redoc === "object") {
  Redoc.init(redoc.dataset.openapi, {}, redoc);
}
