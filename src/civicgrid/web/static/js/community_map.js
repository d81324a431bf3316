// 民情图: grids shaded by the chosen measure (the page computes each grid's colour and the
// legend), each with a permanent name label; the register's counts show on a tap.
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
    document.querySelectorAll("#map-legend .swatch").forEach(function (s) {
      s.style.color = s.getAttribute("data-colour");
    });
    var map = L.map(el, { attributionControl: false });
    if (window.civicgridBasemap) window.civicgridBasemap(map);
    var layer = L.geoJSON(data, {
      style: function (f) {
        return { color: "#3b4452", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.85 };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        var tags = Object.keys(p.tags).slice(0, 6).map(function (k) { return esc(k) + " " + p.tags[k]; });
        lyr.bindTooltip(esc(p.name), { permanent: true, direction: "center", className: "map-label" });
        lyr.bindPopup(esc(p.name) + "<br>楼栋 " + p.buildings + " · 房屋 " + p.houses +
          "（空置 " + p.vacant_houses + "）<br>实有人口 " + p.residents +
          " · 近一年诉求 " + p.appeals + " · 未办结 " + p.open +
          (tags.length ? "<br>" + tags.join(" · ") : ""));
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
  });
})();
