// Map picker: Leaflet without a tile server. The grids of the territory are drawn as polygons
// with permanent name labels (a phone has no hover); a click (or the browser's geolocation)
// fills the lon/lat inputs, which stay editable and are what the form submits. With a grid
// select (data-select), the map opens on the grids the select offers (the user's own), a tap
// on one of them chooses it in the select and highlights it, and choosing it in the select
// moves the map there. Without JavaScript the inputs and the select are used directly.
(function () {
  "use strict";
  // No territory drawn yet: an overview, never a city's coordinates.
  var OVERVIEW = [35.0, 105.0];
  var PLAIN = { color: "#1f5fa8", weight: 1, fillOpacity: 0.08 };
  var OWN = { color: "#1f5fa8", weight: 2, fillOpacity: 0.15 };
  var CHOSEN = { color: "#c62828", weight: 4, fillOpacity: 0.25 };

  function setup(box) {
    if (typeof L === "undefined") return;
    var lonInput = document.getElementById(box.getAttribute("data-lon"));
    var latInput = document.getElementById(box.getAttribute("data-lat"));
    var mapDiv = box.querySelector(".map");
    if (!lonInput || !latInput || !mapDiv) return;
    mapDiv.style.display = "block";
    var map = L.map(mapDiv, { attributionControl: false }).setView(OVERVIEW, 4);
    if (window.civicgridBasemap) window.civicgridBasemap(map);
    var marker = null;
    var select = box.hasAttribute("data-select")
      ? document.getElementById(box.getAttribute("data-select")) : null;
    var own = {};
    if (select) {
      Array.prototype.forEach.call(select.options, function (o) { if (o.value) own[o.value] = true; });
    }
    var byId = {};

    function styleOf(id) {
      if (select && select.value === id) return CHOSEN;
      return own[id] ? OWN : PLAIN;
    }

    function highlight(pan) {
      Object.keys(byId).forEach(function (id) { byId[id].setStyle(styleOf(id)); });
      if (select && select.value && byId[select.value]) {
        byId[select.value].bringToFront();
        if (pan) fit();
      }
      mapDiv.setAttribute("data-chosen", select ? select.value : "");
    }

    // The map is drawn before the page's layout settles (fonts, the form's columns), so
    // Leaflet's remembered size can be stale and the grids open partly off the map. Measure
    // the container first, then fit; refit while it changes size until the user moves the map.
    var moved = false;
    ["pointerdown", "wheel", "keydown", "touchstart"].forEach(function (type) {
      mapDiv.addEventListener(type, function () { moved = true; }, { passive: true });
    });

    var startBounds = null;

    // What the map should show: the chosen grid, else the user's own grids (else all).
    function target() {
      if (select && select.value && byId[select.value]) {
        return { bounds: byId[select.value].getBounds(), maxZoom: 17 };
      }
      return startBounds ? { bounds: startBounds, maxZoom: 17 } : null;
    }

    function fit() {
      var t = target();
      if (!t) return;
      map.invalidateSize(false);
      map.fitBounds(t.bounds, { padding: [16, 16], maxZoom: t.maxZoom, animate: false });
      mapDiv.setAttribute("data-fitted", "true");
    }

    function fitOnceSized(bounds) {
      startBounds = bounds;
      fit();
      if (typeof ResizeObserver !== "undefined") {
        new ResizeObserver(function () { if (!moved) fit(); }).observe(mapDiv);
      }
    }

    function place(lat, lon, pan) {
      var ll = [lat, lon];
      if (marker) marker.setLatLng(ll);
      else marker = L.circleMarker(ll, { radius: 8, color: "#c62828", weight: 3 }).addTo(map);
      if (pan) map.panTo(ll);
    }

    function fromInputs() {
      var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
      if (!isNaN(lon) && !isNaN(lat)) place(lat, lon, true);
    }

    map.on("click", function (e) {
      lonInput.value = e.latlng.lng.toFixed(6);
      latInput.value = e.latlng.lat.toFixed(6);
      place(e.latlng.lat, e.latlng.lng, false);
    });
    lonInput.addEventListener("change", fromInputs);
    latInput.addEventListener("change", fromInputs);
    if (select) select.addEventListener("change", function () { highlight(true); });

    var url = box.getAttribute("data-geojson");
    if (url) {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.features || !data.features.length) { fromInputs(); return; }
          var mine = L.featureGroup();
          var layer = L.geoJSON(data, {
            style: function (feature) { return styleOf(String(feature.properties.id)); },
            onEachFeature: function (feature, lyr) {
              var id = String(feature.properties.id);
              byId[id] = lyr;
              if (own[id]) {
                lyr.on("add", function () { lyr.getElement().classList.add("own-grid"); });
              }
              if (own[id]) mine.addLayer(L.geoJSON(feature));
              if (feature.properties.name) {
                lyr.bindTooltip(feature.properties.name, {
                  permanent: true, direction: "center", className: "map-label"
                });
              }
              lyr.on("click", function (e) {
                if (select && own[id]) {
                  select.value = id;
                  highlight(false);
                }
                map.fire("click", e);
              });
            }
          }).addTo(map);
          var start = mine.getLayers().length ? mine : layer;
          fitOnceSized(start.getBounds());
          highlight(Boolean(select && select.value));
          fromInputs();
        })
        .catch(function () { fromInputs(); });
    } else {
      fromInputs();
    }

    var geoButton = box.querySelector("[data-geolocate-button]");
    if (box.hasAttribute("data-geolocate") && geoButton && navigator.geolocation) {
      geoButton.hidden = false;
      geoButton.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          lonInput.value = pos.coords.longitude.toFixed(6);
          latInput.value = pos.coords.latitude.toFixed(6);
          place(pos.coords.latitude, pos.coords.longitude, true);
        }, function () {
          geoButton.textContent = "无法获取定位，请在地图上点选";
        }, { enableHighAccuracy: true, timeout: 10000 });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-picker]").forEach(setup);
  });
})();
