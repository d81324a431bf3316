// Map picker: Leaflet without a tile server. The grids of the territory are drawn as plain
// polygons; a click (or the browser's geolocation) fills the lon/lat inputs, which stay
// editable and are what the form submits. Without JavaScript the inputs are typed in.
(function () {
  "use strict";
  var FALLBACK = [39.9042, 116.4074];

  function setup(box) {
    if (typeof L === "undefined") return;
    var lonInput = document.getElementById(box.getAttribute("data-lon"));
    var latInput = document.getElementById(box.getAttribute("data-lat"));
    var mapDiv = box.querySelector(".map");
    if (!lonInput || !latInput || !mapDiv) return;
    mapDiv.style.display = "block";
    var map = L.map(mapDiv, { attributionControl: false }).setView(FALLBACK, 12);
    var marker = null;

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

    var url = box.getAttribute("data-geojson");
    if (url) {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || !data.features || !data.features.length) { fromInputs(); return; }
          var layer = L.geoJSON(data, {
            style: { color: "#1f5fa8", weight: 1, fillOpacity: 0.08 },
            onEachFeature: function (feature, lyr) {
              if (feature.properties && feature.properties.name) lyr.bindTooltip(feature.properties.name);
              lyr.on("click", function (e) { map.fire("click", e); });
            }
          }).addTo(map);
          map.fitBounds(layer.getBounds());
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
