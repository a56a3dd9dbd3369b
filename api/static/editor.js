/* The query editor: YASGUI pointed at this endpoint, offline, with the named queries as examples.
   Its data comes from the JSON block #editor-data (the page allows no inline script). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("editor-data").textContent);
  var endpoint = data.endpoint;
  var examples = data.examples;
  // Only the prefixes the starter query uses, so the editor opens on the query itself; YASQE
  // adds any other declared prefix as it is typed.
  var used = data.prefixes.split("\n").filter(function (line) {
    return /^PREFIX (pg|rdfs):/.test(line);
  }).join("\n");
  var starter = used + "\n\n# " + data.starterComment + "\n" +
    "SELECT ?edition ?label (COUNT(?task) AS ?tasks)\nWHERE {\n" +
    "  ?edition a pg:PlanEdition ; rdfs:label ?label .\n" +
    "  FILTER(LANG(?label) = \"" + data.lang + "\")\n" +
    "  OPTIONAL { ?task a pg:Task ; pg:inEdition ?edition }\n}\nGROUP BY ?edition ?label\nORDER BY ?edition\n";

  // Offline: no LOV lookups (class/property completers), no prefix.cc, no remote endpoints.
  var Yasqe = Yasgui.Yasqe;
  Yasqe.defaults.autocompleters.splice(0, Yasqe.defaults.autocompleters.length, "variables", "prefixes");
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.defaults.value = starter;

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint },
    copyEndpointOnNewTab: true,
    corsProxy: undefined,
    persistenceId: "plangraph-" + endpoint,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    yasqe: { value: starter },
  });
  window.plangraphYasgui = yasgui;

  document.querySelectorAll("a.example").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var q = examples[Number(link.dataset.index)];
      var tab = yasgui.addTab(true, { name: q.name, yasqe: { value: q.query }, requestConfig: { endpoint: endpoint } });
      tab.show();
      tab.getYasqe().setValue(q.query);
    });
  });

  // Result IRIs of this dataset open their page on this server, not at the public base.
  function localise(event) {
    var link = event.target.closest && event.target.closest(".yasr a[href]");
    if (link && link.href.indexOf(data.base) === 0) {
      link.href = data.local + link.href.slice(data.base.length);
      link.removeAttribute("target");
    }
  }
  ["mouseover", "focusin", "mousedown", "click"].forEach(function (kind) {
    document.addEventListener(kind, localise, true);
  });
})();
