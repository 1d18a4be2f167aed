/* Jol's small Invataxi dispatcher view: a shift (vehicles and bookings, JSON) in,
 * the plan out as text and on the map. The dispatcher's key is sent with the one
 * request and kept nowhere (no storage, no address); everything on the map is also
 * written out in the results list.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("jol-config").textContent);
  var T = JSON.parse(document.getElementById("jol-i18n").textContent);
  var COLORS = ["#0b5d1e", "#1f4e9c", "#8a4b00", "#6a1b9a", "#a1001b", "#00605e"];
  var map = L.map("dispatch-map");
  var layer = L.layerGroup().addTo(map);

  function t(key, params) {
    var text = T[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clock(seconds) {
    var minutes = Math.round(seconds / 60);
    var h = Math.floor(minutes / 60) % 24;
    var m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function say(text) {
    document.getElementById("dispatch-status").textContent = text;
  }

  function showPlan(plan) {
    var body = document.getElementById("dispatch-results-body");
    body.textContent = "";
    layer.clearLayers();
    var bounds = [];
    plan.vehicles.forEach(function (vehicle, index) {
      body.appendChild(el("h3", t("dispatch_vehicle", { id: vehicle.id })));
      var list = el("ol");
      var line = [];
      vehicle.stops.forEach(function (stop) {
        if (stop.type !== "pickup" && stop.type !== "dropoff") return;
        var key = stop.type === "pickup" ? "dispatch_pickup" : "dispatch_dropoff";
        list.appendChild(el("li", t(key, { time: clock(stop.service_start_s), id: stop.booking })));
        var point = [stop.kerb.lat, stop.kerb.lon];
        line.push(point);
        bounds.push(point);
        L.circleMarker(point, { radius: 6, color: COLORS[index % COLORS.length] })
          .bindTooltip(t(key, { time: clock(stop.service_start_s), id: stop.booking }))
          .addTo(layer);
      });
      body.appendChild(list);
      if (line.length > 1) L.polyline(line, { color: COLORS[index % COLORS.length], weight: 4 }).addTo(layer);
    });
    if (plan.unserved.length) {
      body.appendChild(el("h3", t("dispatch_unserved_heading")));
      var missed = el("ul");
      plan.unserved.forEach(function (item) {
        var reason = T["dispatch_reason_" + item.reason] ? t("dispatch_reason_" + item.reason) : item.reason;
        missed.appendChild(el("li", t("dispatch_unserved", { id: item.id, reason: reason })));
      });
      body.appendChild(missed);
    }
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
    var s = plan.summary;
    say(t("dispatch_done", { served: s.served, bookings: s.bookings, vehicles: s.vehicles_used }));
  }

  function showError(error) {
    var code = (error && error.code) || "other";
    say(T["error_" + code] ? t("error_" + code) : t("error_other"));
  }

  document.getElementById("dispatch-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var shift;
    try {
      shift = JSON.parse(document.getElementById("dispatch-body").value);
    } catch (e) {
      say(t("dispatch_bad_json"));
      return;
    }
    say(t("dispatch_planning"));
    fetch("/api/v1/taxi/plan", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-Key": document.getElementById("dispatch-key").value,
      },
      body: JSON.stringify(shift),
    })
      .then(function (r) {
        return r.json().then(function (data) {
          if (r.ok) showPlan(data);
          else showError(data.error);
        });
      })
      .catch(function () {
        showError({ code: "network" });
      });
  });

  if (CONFIG.tileUrl) {
    L.tileLayer(CONFIG.tileUrl, { attribution: CONFIG.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var b = CONFIG.bbox;
  if (b) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
  else map.setView([43.25, 76.92], 12);
  document.body.setAttribute("data-ready", "true");
})();
