// The interactive API documentation (/api/docs): Swagger UI over the generated document.
// A file of its own, not an inline script: the Content-Security-Policy allows 'self' only.
(function () {
  "use strict";
  var target = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: target.getAttribute("data-spec-url"),
    domNode: target,
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
})();
