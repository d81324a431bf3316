// Leader dashboard: ECharts charts and a Leaflet map (no tile server: only the grid polygons
// on a plain background): the charts from the JSON embedded in the page, the map from the
// per-grid figures and the grid boundaries fetched when it comes into view. Every figure is
// also in HTML without JavaScript (the grids on /dashboard/grids).
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

  var LABELS = { red: "超期", yellow: "临期", green: "正常", "": "无在办" };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  // The map's figures per grid come from their own endpoint ([received, open, overdue,
  // warning] per grid id, quiet grids left out), fetched when the map comes into view; the
  // grid boundaries (with the names) are cached by the browser (ETag).
  function drawMap(url) {
    var el = document.getElementById("grid-map");
    if (!el || typeof L === "undefined") return;
    getJSON(url)
      .then(function (figures) {
        return getJSON(figures.boundaries).then(function (geo) { return [figures.grids, geo]; });
      })
      .then(function (both) {
        var grids = both[0], features = both[1].features;
        if (!features.length) return;
        var max = 1;
        Object.keys(grids).forEach(function (k) { max = Math.max(max, grids[k][0]); });
        function of(f) { return grids[f.properties.id] || [0, 0, 0, ""]; }
        var map = L.map(el, { attributionControl: false });
        if (window.civicgridBasemap) window.civicgridBasemap(map);
        var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
          style: function (f) {
            var p = of(f);
            return {
              color: "#3b4452", weight: 1,
              fillColor: COLOURS[p[3]] || COLOURS[""],
              fillOpacity: 0.25 + 0.6 * (p[0] / max)
            };
          },
          onEachFeature: function (f, lyr) {
            var p = of(f);
            lyr.bindTooltip(f.properties.name + "<br>本期诉求 " + p[0] + " 件 · 在办 " + p[1] +
              " 件 · 超期 " + p[2] + " 件<br>预警：" + (LABELS[p[3]] || LABELS[""]));
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        el.setAttribute("data-state", "ready");
      })
      .catch(function () {
        el.setAttribute("data-state", "failed");
        el.textContent = "网格地图加载失败，请刷新页面重试。";
      });
  }

  function whenVisible(el, then) {
    if (!el || typeof IntersectionObserver === "undefined") { then(); return; }
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        seen.disconnect();
        then();
      }
    }, { rootMargin: "200px" });
    seen.observe(el);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("dashboard-data");
    if (!node) return;
    var data = JSON.parse(node.textContent);
    drawCharts(data);
    whenVisible(document.getElementById("grid-map"), function () { drawMap(data.grids); });
  });
})();
