// 民情图: grids shaded by the number of residents, with the register's counts in a tooltip.
(function () {
  "use strict";
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("community-map-data");
    var el = document.getElementById("community-map");
    if (!node || !el || typeof L === "undefined") return;
    var data = JSON.parse(node.textContent);
    if (!data.features.length) return;
    var max = 1;
    data.features.forEach(function (f) { max = Math.max(max, f.properties.residents); });
    var map = L.map(el, { attributionControl: false });
    var layer = L.geoJSON(data, {
      style: function (f) {
        return { color: "#3b4452", weight: 1, fillColor: "#1f5fa8",
                 fillOpacity: 0.1 + 0.7 * (f.properties.residents / max) };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        var tags = Object.keys(p.tags).slice(0, 6).map(function (k) { return esc(k) + " " + p.tags[k]; });
        lyr.bindTooltip(esc(p.name) + "<br>楼栋 " + p.buildings + " · 房屋 " + p.houses +
          "（空置 " + p.vacant_houses + "）<br>实有人口 " + p.residents +
          (tags.length ? "<br>" + tags.join(" · ") : ""));
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
  });
})();
