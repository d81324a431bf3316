// 民情图: grids shaded by the chosen measure (the page computes each grid's colour and the
// legend), each with a permanent name label; the register's counts show on a tap. The
// boundaries are fetched from their own cached endpoint, the figures are in the page.
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
    if (!Object.keys(data.grids).length) return;
    document.querySelectorAll("#map-legend .swatch").forEach(function (s) {
      s.style.color = s.getAttribute("data-colour");
    });
    // The boundaries change rarely and are cached by the browser (ETag, private max-age);
    // the figures come fresh with the page and are joined to them by grid id.
    fetch(data.boundaries, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("boundaries " + r.status);
        return r.json();
      })
      .then(function (geo) {
        var features = geo.features.filter(function (f) { return data.grids[f.properties.id]; });
        if (!features.length) return;
        var map = L.map(el, { attributionControl: false });
        if (window.civicgridBasemap) window.civicgridBasemap(map);
        var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: function (f) {
            var p = data.grids[f.properties.id];
            return { color: "#3b4452", weight: 1, fillColor: p.colour, fillOpacity: 0.85 };
          },
          onEachFeature: function (f, lyr) {
            var p = data.grids[f.properties.id];
            var tags = Object.keys(p.tags).slice(0, 6).map(function (k) { return esc(k) + " " + p.tags[k]; });
            lyr.bindTooltip(esc(p.name), { permanent: true, direction: "center", className: "map-label" });
            lyr.bindPopup(esc(p.name) + "<br>楼栋 " + p.buildings + " · 房屋 " + p.houses +
              "（空置 " + p.vacant_houses + "）<br>实有人口 " + p.residents +
              " · 近一年诉求 " + p.appeals + " · 未办结 " + p.open +
              (tags.length ? "<br>" + tags.join(" · ") : ""));
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        el.setAttribute("data-state", "ready");
      })
      .catch(function () {
        el.setAttribute("data-state", "failed");
        el.textContent = "网格边界加载失败，请刷新页面重试。下方表格中的数据不受影响。";
      });
  });
})();
