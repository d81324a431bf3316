// Leader dashboard: ECharts charts and a Leaflet map (no tile server: only the grid polygons
// on a plain background) drawn from the JSON embedded in the page, the grid boundaries
// fetched from their cached endpoint. The page shows the same
// figures as tables without JavaScript.
(function () {
  "use strict";
  var COLOURS = { red: "#c62828", yellow: "#e0a100", green: "#2e7d32", "": "#9aa3ad" };

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  function drawCharts(data) {
    chart("trend-chart", {
      tooltip: { trigger: "axis" },
      legend: { data: ["受理", "结案"] },
      grid: { left: 40, right: 16, top: 36, bottom: 30 },
      xAxis: { type: "category", data: data.trend.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "受理", type: "line", data: data.trend.received },
        { name: "结案", type: "line", data: data.trend.closed }
      ]
    });
    chart("category-chart", {
      tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.categories }]
    });
    var ranking = data.ranking.slice().reverse();
    chart("ranking-chart", {
      tooltip: { trigger: "axis" },
      grid: { left: 120, right: 24, top: 10, bottom: 24 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: ranking.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: ranking.map(function (r) { return r.score; }) }]
    });
  }

  // The grid boundaries are cached by the browser (ETag); the figures come with the page.
  function drawMap(data) {
    var el = document.getElementById("grid-map");
    var figures = data.grids.figures;
    if (!el || typeof L === "undefined" || !Object.keys(figures).length) return;
    var max = 1;
    Object.keys(figures).forEach(function (k) { max = Math.max(max, figures[k].received); });
    fetch(data.grids.boundaries, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("boundaries " + r.status);
        return r.json();
      })
      .then(function (geo) {
        var features = geo.features.filter(function (f) { return figures[f.properties.id]; });
        if (!features.length) return;
        var map = L.map(el, { attributionControl: false });
        if (window.civicgridBasemap) window.civicgridBasemap(map);
        var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: function (f) {
            var p = figures[f.properties.id];
            return {
              color: "#3b4452", weight: 1,
              fillColor: COLOURS[p.warning] || COLOURS[""],
              fillOpacity: 0.25 + 0.6 * (p.received / max)
            };
          },
          onEachFeature: function (f, lyr) {
            var p = figures[f.properties.id];
            lyr.bindTooltip(p.name + "<br>本期诉求 " + p.received + " 件 · 在办 " + p.open +
              " 件 · 超期 " + p.overdue + " 件<br>预警：" + p.warning_label);
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        el.setAttribute("data-state", "ready");
      })
      .catch(function () {
        el.setAttribute("data-state", "failed");
        el.textContent = "网格边界加载失败，请刷新页面重试。";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("dashboard-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    drawCharts(data);
    drawMap(data);
  });
})();
