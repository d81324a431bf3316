// The optional basemap (CIVICGRID_MAP_TILE_URL): every map calls civicgridBasemap(map) right
// after creating it. With a tile layer configured, the page carries it in a JSON block
// (#basemap-config) and the tiles are drawn under the labelled polygons, with the provider's
// attribution; without one nothing is added and no tile is requested (the offline default).
(function () {
  "use strict";
  window.civicgridBasemap = function (map) {
    var node = document.getElementById("basemap-config");
    if (!node || typeof L === "undefined") return null;
    var config = JSON.parse(node.textContent);
    if (!config || !config.url) return null;
    var layer = L.tileLayer(config.url, {
      attribution: config.attribution || "",
      subdomains: config.subdomains || "abc",
      maxZoom: 18
    }).addTo(map);
    if (config.attribution) {
      L.control.attribution({ prefix: false }).addAttribution(config.attribution).addTo(map);
    }
    return layer;
  };
})();
