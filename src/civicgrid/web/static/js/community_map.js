// 民情图: the parts of one region (districts, streets, communities or grids) shaded by the
// chosen measure (the page computes each part's colour and the legend), each with a name
// label; a label that would cover another (a small screen, a zoomed-out map) is hidden until
// there is room. A tap shows the part's counts and leads one level down. The boundaries come
// from their own cached endpoint, the figures with the page; the table below holds the same.
(function () {
  "use strict";
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  // Show the labels of the largest shapes first; hide any label that would overlap a shown one.
  function placeLabels(labels) {
    var shown = [];
    labels.forEach(function (item) {
      var el = item.tooltip.getElement();
      if (!el) return;
      el.classList.remove("map-label-hidden");
      var box = el.getBoundingClientRect();
      var clash = box.width === 0 || shown.some(function (other) { return overlaps(box, other); });
      if (clash) el.classList.add("map-label-hidden");
      else shown.push(box);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("community-map-data");
    var el = document.getElementById("community-map");
    if (!node || !el || typeof L === "undefined") return;
    var data = JSON.parse(node.textContent);
    if (!Object.keys(data.parts).length) return;
    document.querySelectorAll("#map-legend .swatch").forEach(function (s) {
      s.style.color = s.getAttribute("data-colour");
    });
    fetch(data.boundaries, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("boundaries " + r.status);
        return r.json();
      })
      .then(function (geo) {
        var features = geo.features.filter(function (f) { return data.parts[f.properties.id]; });
        if (!features.length) return;
        var map = L.map(el, { attributionControl: false });
        if (window.civicgridBasemap) window.civicgridBasemap(map);
        var labels = [];
        var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: function (f) {
            var p = data.parts[f.properties.id];
            return { color: "#3b4452", weight: 1, fillColor: p.colour, fillOpacity: 0.85 };
          },
          onEachFeature: function (f, lyr) {
            var p = data.parts[f.properties.id];
            var tags = Object.keys(p.tags).slice(0, 6).map(function (k) { return esc(k) + " " + p.tags[k]; });
            lyr.bindTooltip(esc(p.name), { permanent: true, direction: "center", className: "map-label" });
            var b = lyr.getBounds();
            var size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
            labels.push({ tooltip: lyr.getTooltip(), size: size });
            lyr.bindPopup(esc(p.name) + "<br>楼栋 " + p.buildings + " · 房屋 " + p.houses +
              "（空置 " + p.vacant_houses + "）<br>实有人口 " + p.residents +
              " · 近一年诉求 " + p.appeals + " · 未办结 " + p.open +
              (tags.length ? "<br>" + tags.join(" · ") : "") +
              (p.href ? '<br><a href="' + esc(p.href) + '">进入' + esc(p.name) + "</a>" : ""));
          }
        }).addTo(map);
        labels.sort(function (a, b) { return b.size - a.size; });
        map.on("zoomend moveend", function () { placeLabels(labels); });
        map.fitBounds(layer.getBounds());
        placeLabels(labels);
        el.setAttribute("data-state", "ready");
      })
      .catch(function () {
        el.setAttribute("data-state", "failed");
        el.textContent = "区域边界加载失败，请刷新页面重试。下方表格中的数据不受影响。";
      });
  });
})();
