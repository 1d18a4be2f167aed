/* Jol planner page: place search comboboxes, profile limits, route display.
 *
 * Everything shown on the map is also written out as text in the results
 * section, so the page works with a screen reader and without the map.
 * Coordinates are WGS84 degrees, distances metres, durations seconds.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("jol-config").textContent);
  var I18N = JSON.parse(document.getElementById("jol-i18n").textContent);
  var LANG_KEY = "jol.lang";
  var SEARCH_DELAY_MS = 250; // wait for a pause in typing before asking the server
  // Below this the view spans several cities worth of lines; the server caps
  // each answer anyway (major streets first), so a city-wide view stays cheap.
  var STREETS_MIN_ZOOM = 9;
  var STREETS_DELAY_MS = 200;
  // A segment steeper than this share of the profile's incline limit is
  // marked "steep" so people see where the hard climbs are.
  var STEEP_SHARE_OF_LIMIT = 0.75;
  var COORD_RE = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$/;

  // Glyph + shape per barrier kind: markers differ by symbol and outline, not
  // only by colour, and the legend explains each in words.
  var BARRIER_GLYPHS = {
    kerb: "⌐",
    crossing: "≡",
    steps: "☰",
    elevator: "⇅",
    gate: "⊓",
    bollard: "╎",
    other: "!",
    unknown_stretch: "?",
    junction: "+",
    blocking: "✕",
  };
  // The candidate route a profile cannot take: red and dash-dot, unlike any route line.
  var CANDIDATE_STYLE = { color: "#a1001b", weight: 5, dashArray: "12 6 2 6" };
  // Profiles in the order people are offered them: those the planner exists
  // for first, walking last; a profile not listed follows, by its label.
  var PROFILE_ORDER = [
    "wheelchair_manual",
    "wheelchair_electric",
    "pram",
    "limited_mobility",
    "elderly",
    "blind",
    "low_vision",
    "deaf",
    "default",
  ];
  var PROFILE_KEY = "jol.profile";
  var ACCESS_STYLES = {
    ok: { color: "#0b5d1e", weight: 6, dashArray: null },
    unknown: { color: "#8a4b00", weight: 6, dashArray: "10 8" },
    steep: { color: "#6a1b9a", weight: 7, dashArray: "2 8" },
  };

  var state = {
    lang: document.documentElement.lang || CONFIG.defaultLanguage,
    profiles: [],
    schema: { properties: {} },
    points: { from: null, to: null },
    labels: { from: "", to: "" },
    lastAnswer: null,
    lastError: null,
    lastQuery: null,
    lastPlan: null,
    lastPlanQuery: null,
  };

  var map, routeLayer, markerLayer, streetsLayer, endMarkers = {};
  var tilesLoaded = false;
  var streetsRequest = 0;
  var streetsTimer = null;

  // ---------- i18n ----------

  function has(key) {
    return (I18N[state.lang] || {})[key] !== undefined;
  }

  function t(key, vars) {
    var table = I18N[state.lang] || I18N[CONFIG.defaultLanguage];
    var text = table[key] !== undefined ? table[key] : I18N.en[key] !== undefined ? I18N.en[key] : key;
    if (vars) {
      Object.keys(vars).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(vars[name]));
      });
    }
    return text;
  }

  function localized(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    return value[state.lang] || value.en || value.ru || Object.values(value)[0] || "";
  }

  function applyLanguage(lang) {
    if (!I18N[lang]) lang = CONFIG.defaultLanguage;
    state.lang = lang;
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-aria-label]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria-label")));
    });
    document.title = t("page_title");
    document.getElementById("lang-select").value = lang;
    renderProfiles();
    renderLegend();
    renderDataInfo();
    if (state.lastPlan) {
      renderPlan(state.lastPlan, false);
      replan(lang);
    } else if (state.lastAnswer) {
      renderRoute(state.lastAnswer, false);
      respeak(lang);
    } else if (state.lastError) renderError(state.lastError, false);
  }

  // POST a JSON body; resolves to {ok, data} with the parsed answer (errors are JSON too).
  function postJson(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (data) {
        return { ok: r.ok, data: data };
      });
    });
  }

  // Maneuvers are said by the server in the language asked for: after a
  // switch the same route is asked for again in the new language.
  function respeak(lang) {
    var query = state.lastQuery;
    if (!query || query.lang === lang) return;
    var body = Object.assign({}, query, { lang: lang });
    state.lastQuery = body;
    postJson("/api/v1/route", body)
      .then(function (res) {
        return res.ok ? res.data : null;
      })
      .then(function (data) {
        if (data && state.lang === lang) renderRoute(data, false);
      })
      .catch(function () {});
  }

  // The legs' maneuvers come in the language asked for: ask again after a switch.
  function replan(lang) {
    var query = state.lastPlanQuery;
    if (!query || query.lang === lang) return;
    var body = Object.assign({}, query, { lang: lang });
    state.lastPlanQuery = body;
    postJson("/api/v1/plan", body)
      .then(function (res) {
        return res.ok ? res.data : null;
      })
      .then(function (data) {
        if (data && state.lang === lang && state.lastPlan) renderPlan(data, false);
      })
      .catch(function () {});
  }

  function rememberLanguage(lang) {
    try {
      window.localStorage.setItem(LANG_KEY, lang);
    } catch (e) {
      /* storage may be disabled; the switch still works for this visit */
    }
  }

  function storedLanguage() {
    try {
      return window.localStorage.getItem(LANG_KEY);
    } catch (e) {
      return null;
    }
  }

  // ---------- formatting ----------

  function num(value, digits) {
    return new Intl.NumberFormat(state.lang, { maximumFractionDigits: digits }).format(value);
  }

  function distance(m) {
    if (m >= 1000) return t("kilometers", { n: num(m / 1000, 1) });
    return t("meters", { n: num(Math.round(m), 0) });
  }

  // Warnings come as {code, message, params}; the English message is the fallback.
  function warningText(warning) {
    var key = "warning_" + warning.code;
    if (!has(key)) return warning.message;
    var vars = {};
    Object.keys(warning.params || {}).forEach(function (name) {
      var value = warning.params[name];
      // Words (direction "up", source "dem") are said through "<param>_<word>" keys.
      if (typeof value === "number") vars[name] = num(value, 1);
      else vars[name] = has(name + "_" + value) ? t(name + "_" + value) : String(value);
    });
    return t(key, vars);
  }

  // A steepest grade in percent, or "unknown" where the route has no slope data.
  function grade(pct) {
    return typeof pct === "number" ? t("percent", { n: num(pct, 1) }) : t("value_unknown");
  }

  function duration(s) {
    return t("minutes", { n: num(Math.max(1, Math.round(s / 60)), 0) });
  }

  function yesNo(value) {
    if (value === "yes" || value === true) return t("value_yes");
    if (value === "no" || value === false) return t("value_no");
    if (value === undefined || value === null || value === "unknown") return t("value_unknown");
    return String(value);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  // ---------- map ----------

  function initMap() {
    map = L.map("map", { zoomControl: true, attributionControl: true });
    var b = CONFIG.bbox;
    if (b && b.length === 4) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    else map.setView([43.238, 76.945], 12);
    var tiles = L.tileLayer(CONFIG.tileUrl, {
      maxZoom: 19,
      attribution: CONFIG.tileAttribution,
    });
    tiles.on("tileload", function () {
      tilesLoaded = true;
      document.getElementById("tiles-note").hidden = true;
      if (streetsLayer) streetsLayer.clearLayers();
    });
    tiles.on("tileerror", function () {
      if (!tilesLoaded) {
        document.getElementById("tiles-note").hidden = false;
        scheduleStreets();
      }
    });
    tiles.addTo(map);
    // Jol's own streets sit under the route; drawn only when tiles fail.
    streetsLayer = L.geoJSON(null, {
      style: { color: "#757575", weight: 1.5, opacity: 0.9 },
      interactive: false,
      renderer: L.canvas(),
    }).addTo(map);
    routeLayer = L.layerGroup().addTo(map);
    markerLayer = L.layerGroup().addTo(map);
    map.on("moveend", function () {
      if (!tilesLoaded) scheduleStreets();
    });
    map.on("click", function (ev) {
      var end = document.querySelector("input[name=map-click]:checked").value;
      setPoint(end, ev.latlng.lat, ev.latlng.lng, t("point_from_map"));
      var input = document.getElementById(end + "-input");
      input.value = formatCoords(ev.latlng.lat, ev.latlng.lng);
      if (end === "from") document.querySelector("input[name=map-click][value=to]").checked = true;
    });
  }

  // Every failed tile fires an error; one street request per burst is enough.
  function scheduleStreets() {
    setMapBusy(true);
    window.clearTimeout(streetsTimer);
    streetsTimer = window.setTimeout(loadStreets, STREETS_DELAY_MS);
  }

  function loadStreets() {
    if (!map || map.getZoom() < STREETS_MIN_ZOOM) {
      if (streetsLayer) streetsLayer.clearLayers();
      setMapBusy(false);
      return;
    }
    var bounds = map.getBounds();
    var side = CONFIG.streetsMaxBboxDeg;
    var c = bounds.getCenter();
    var half = side / 2;
    var box = [
      Math.max(bounds.getWest(), c.lng - half),
      Math.max(bounds.getSouth(), c.lat - half),
      Math.min(bounds.getEast(), c.lng + half),
      Math.min(bounds.getNorth(), c.lat + half),
    ].map(function (v) {
      return v.toFixed(5);
    });
    var ticket = ++streetsRequest;
    fetch("/api/v1/streets?bbox=" + box.join(","))
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (ticket !== streetsRequest) return;
        if (data && !tilesLoaded) {
          streetsLayer.clearLayers();
          streetsLayer.addData(data);
        }
        setMapBusy(false);
      })
      .catch(function () {
        // The base map is decoration; the route and the list still work.
        if (ticket === streetsRequest) setMapBusy(false);
      });
  }

  // data-busy on the map tells automated checks (and screenshots) when the
  // base map has caught up with the view; it carries no meaning for people.
  function setMapBusy(busy) {
    document.getElementById("map").setAttribute("data-busy", busy ? "true" : "false");
  }

  function markerIcon(kind, label, extraClass) {
    var glyph = BARRIER_GLYPHS[kind] || BARRIER_GLYPHS.other;
    return L.divIcon({
      className: "jol-marker jol-marker-" + kind + (extraClass ? " " + extraClass : ""),
      html: '<span role="img" aria-label="' + escapeAttr(label) + '">' + glyph + "</span>",
      // Junctions are many and small: they must not hide the route line.
      iconSize: kind === "junction" ? [18, 18] : [26, 26],
      iconAnchor: kind === "junction" ? [9, 9] : [13, 13],
    });
  }

  function endIcon(letter, label) {
    return L.divIcon({
      className: "jol-marker jol-marker-end",
      html: '<span role="img" aria-label="' + escapeAttr(label) + '">' + letter + "</span>",
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    });
  }

  function escapeAttr(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/"/g, "&quot;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;");
  }

  function placeEndMarker(end) {
    if (!map) return;
    if (endMarkers[end]) map.removeLayer(endMarkers[end]);
    var p = state.points[end];
    if (!p) return;
    var label = t(end === "from" ? "marker_start" : "marker_end");
    // Markers repeat what the form already says, so they stay out of the tab order.
    endMarkers[end] = L.marker([p.lat, p.lon], {
      icon: endIcon(end === "from" ? "A" : "B", label),
      keyboard: false,
      title: label,
    }).addTo(map);
  }

  // ---------- place search combobox (WAI-ARIA APG combobox with listbox popup) ----------

  function formatCoords(lat, lon) {
    return lat.toFixed(6) + ", " + lon.toFixed(6);
  }

  function parseCoords(text) {
    var m = COORD_RE.exec(text);
    if (!m) return null;
    var lat = parseFloat(m[1]);
    var lon = parseFloat(m[2]);
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
    return { lat: lat, lon: lon };
  }

  function setPoint(end, lat, lon, label) {
    state.points[end] = lat === null ? null : { lat: lat, lon: lon };
    state.labels[end] = label || "";
    var input = document.getElementById(end + "-input");
    input.removeAttribute("aria-invalid");
    document.getElementById(end + "-error").textContent = "";
    placeEndMarker(end);
  }

  function Combobox(end) {
    this.end = end;
    this.input = document.getElementById(end + "-input");
    this.listbox = document.getElementById(end + "-listbox");
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.request = 0;
    var self = this;
    this.input.addEventListener("input", function () {
      self.onInput();
    });
    this.input.addEventListener("keydown", function (ev) {
      self.onKeyDown(ev);
    });
    this.input.addEventListener("blur", function () {
      // Delay so a click on an option lands before the list closes.
      window.setTimeout(function () {
        self.close();
      }, 150);
    });
  }

  Combobox.prototype.onInput = function () {
    var text = this.input.value;
    var coords = parseCoords(text);
    window.clearTimeout(this.timer);
    if (coords) {
      setPoint(this.end, coords.lat, coords.lon, text.trim());
      this.close();
      return;
    }
    setPoint(this.end, null, null, "");
    if (text.trim().length < 2) {
      this.close();
      return;
    }
    if (!CONFIG.placesAvailable) {
      document.getElementById("places-status").textContent = t("places_unavailable");
      return;
    }
    var self = this;
    this.timer = window.setTimeout(function () {
      self.search(text.trim());
    }, SEARCH_DELAY_MS);
  };

  Combobox.prototype.search = function (q) {
    var ticket = ++this.request;
    var self = this;
    var url = "/api/v1/places?limit=8&q=" + encodeURIComponent(q);
    var other = state.points[this.end === "from" ? "to" : "from"];
    if (other) url += "&near=" + other.lat + "," + other.lon;
    fetch(url)
      .then(function (r) {
        return r.ok ? r.json() : { places: [] };
      })
      .then(function (data) {
        if (ticket !== self.request || document.activeElement !== self.input) return;
        self.show(data.places || []);
      })
      .catch(function () {
        self.show([]);
      });
  };

  Combobox.prototype.show = function (places) {
    var self = this;
    this.options = places;
    this.active = -1;
    this.listbox.textContent = "";
    places.forEach(function (place, i) {
      var meta = [placeKindText(place), placeAccessText(place)].filter(Boolean).join(" · ");
      var li = el("li", { id: self.end + "-option-" + i, role: "option", "aria-selected": "false" }, [
        el("span", { class: "option-name", text: placeName(place) }),
        meta ? el("span", { class: "option-meta", text: " — " + meta }) : null,
      ]);
      li.addEventListener("mousedown", function (ev) {
        ev.preventDefault(); // keep focus in the input
      });
      li.addEventListener("click", function () {
        self.choose(i);
      });
      self.listbox.appendChild(li);
    });
    var status = document.getElementById("places-status");
    // Said once for the list rather than "unknown" on every row.
    var unrated = places.length && !places.some(placeAccessText);
    var note = document.getElementById(this.end + "-places-note");
    note.textContent = unrated ? t("places_no_ratings") : "";
    note.hidden = !unrated;
    if (places.length) {
      this.listbox.hidden = false;
      this.input.setAttribute("aria-expanded", "true");
      status.textContent = t("places_count", { n: places.length }) + (unrated ? " " + t("places_no_ratings") : "");
    } else {
      this.close();
      status.textContent = t("places_none");
    }
  };

  Combobox.prototype.setActive = function (i) {
    var items = this.listbox.querySelectorAll("[role=option]");
    if (!items.length) return;
    this.active = (i + items.length) % items.length;
    items.forEach(function (item, k) {
      item.setAttribute("aria-selected", k === this.active ? "true" : "false");
    }, this);
    var current = items[this.active];
    this.input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.choose = function (i) {
    var place = this.options[i];
    if (!place) return;
    this.input.value = placeName(place);
    setPoint(this.end, place.lat, place.lon, placeName(place));
    this.close();
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    document.getElementById(this.end + "-places-note").hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Combobox.prototype.isOpen = function () {
    return !this.listbox.hidden;
  };

  Combobox.prototype.onKeyDown = function (ev) {
    switch (ev.key) {
      case "ArrowDown":
        ev.preventDefault();
        if (!this.isOpen() && this.options.length) {
          this.listbox.hidden = false;
          this.input.setAttribute("aria-expanded", "true");
        }
        if (this.isOpen()) this.setActive(this.active + 1);
        break;
      case "ArrowUp":
        ev.preventDefault();
        if (this.isOpen()) this.setActive(this.active - 1);
        break;
      case "Enter":
        if (this.isOpen() && this.active >= 0) {
          ev.preventDefault(); // choosing an option must not submit the form
          this.choose(this.active);
        }
        break;
      case "Escape":
        if (this.isOpen()) {
          ev.preventDefault();
          this.close();
        } else {
          this.input.value = "";
          setPoint(this.end, null, null, "");
        }
        break;
      default:
        break;
    }
  };

  // "tourism=hotel" said in the page's language; the kind when there is no tag.
  function placeKindText(place) {
    var tag = /^([a-z_]+)=(.+)$/.exec(place.category || "");
    if (tag) return osmText(tag[1], tag[2]);
    return place.kind ? t("place_kind_" + place.kind) : "";
  }

  // Only a rating the data really has; "unknown" is said once for the list.
  function placeAccessText(place) {
    var rating = place.access && place.access.mobility;
    return rating && has("place_access_" + rating) ? t("place_access_" + rating) : "";
  }

  function placeName(place) {
    var names = place.names || {};
    return names[state.lang] || place.name || names.ru || names.en || names.kk || "";
  }

  // ---------- profiles and limits ----------

  function loadProfiles() {
    return fetch("/api/v1/profiles")
      .then(function (r) {
        return r.json();
      })
      .then(function (data) {
        state.profiles = data.profiles || [];
        state.schema = data.overrides_schema || { properties: {} };
        renderProfiles();
      });
  }

  function currentProfile() {
    var name = document.getElementById("profile-select").value;
    for (var i = 0; i < state.profiles.length; i++) {
      if (state.profiles[i].name === name) return state.profiles[i];
    }
    return state.profiles[0] || null;
  }

  function renderProfiles() {
    var select = document.getElementById("profile-select");
    var chosen = select.value || storedProfile() || PROFILE_ORDER[0];
    select.textContent = "";
    orderedProfiles().forEach(function (p) {
      select.appendChild(el("option", { value: p.name, text: localized(p.title) || p.name }));
    });
    select.value = chosen;
    if (select.value !== chosen && select.options.length) select.selectedIndex = 0;
    renderProfileDetails(false);
  }

  function orderedProfiles() {
    function rank(p) {
      var i = PROFILE_ORDER.indexOf(p.name);
      return i < 0 ? PROFILE_ORDER.length : i;
    }
    return state.profiles.slice().sort(function (a, b) {
      var byRank = rank(a) - rank(b);
      if (byRank) return byRank;
      return (localized(a.title) || a.name).localeCompare(localized(b.title) || b.name, state.lang);
    });
  }

  function storedProfile() {
    try {
      return window.localStorage.getItem(PROFILE_KEY);
    } catch (e) {
      return null;
    }
  }

  function rememberProfile(name) {
    try {
      window.localStorage.setItem(PROFILE_KEY, name);
    } catch (e) {
      /* storage may be disabled; the choice still holds for this visit */
    }
  }

  function renderProfileDetails(resetValues) {
    var profile = currentProfile();
    var desc = document.getElementById("profile-description");
    desc.textContent = profile ? localized(profile.description) : "";
    var box = document.getElementById("limits-fields");
    var previous = {};
    if (!resetValues) {
      box.querySelectorAll("input[data-key]").forEach(function (input) {
        previous[input.getAttribute("data-key")] = input.type === "checkbox" ? input.checked : input.value;
      });
    }
    box.textContent = "";
    if (!profile) return;
    var props = (state.schema && state.schema.properties) || {};
    var keys = Object.keys(props);
    if (!keys.length) {
      box.appendChild(el("p", { text: t("limits_none") }));
      return;
    }
    keys.forEach(function (key) {
      box.appendChild(limitField(key, props[key], profile, previous[key]));
    });
  }

  function limitDefault(key, prop, profile) {
    var params = profileParams(profile);
    if (params[key] !== undefined) return params[key];
    if (profile[key] !== undefined) return profile[key];
    return prop["default"];
  }

  function limitField(key, prop, profile, previous) {
    var id = "limit-" + key;
    var value = limitDefault(key, prop, profile);
    var label = has("param_" + key) ? t("param_" + key) : localized(prop.title) || key;
    var types = [].concat(prop.type || []);
    var wrap = el("div", { class: "field limit-field" });
    var input;
    if (types.indexOf("boolean") >= 0) {
      input = el("input", { id: id, type: "checkbox", "data-key": key });
      input.checked = previous !== undefined ? previous : Boolean(value);
      input.setAttribute("data-default", String(Boolean(value)));
      wrap.appendChild(el("label", { for: id, class: "check" }, [input, " " + label]));
    } else if (prop["enum"]) {
      input = el("select", { id: id, "data-key": key });
      prop["enum"].forEach(function (v) {
        var text = has("policy_" + v) ? t("policy_" + v) : String(v);
        input.appendChild(el("option", { value: String(v), text: text }));
      });
      input.value = previous !== undefined ? previous : String(value);
      input.setAttribute("data-default", String(value));
      wrap.appendChild(el("label", { for: id, text: label }));
      wrap.appendChild(input);
    } else {
      input = el("input", { id: id, type: "number", "data-key": key, inputmode: "decimal" });
      if (prop.minimum !== undefined) input.min = prop.minimum;
      if (prop.maximum !== undefined) input.max = prop.maximum;
      input.step = types.indexOf("integer") >= 0 ? "1" : "any";
      var initial = value === undefined || value === null ? "" : String(value);
      input.value = previous !== undefined ? previous : initial;
      input.setAttribute("data-default", initial);
      wrap.appendChild(el("label", { for: id, text: label }));
      wrap.appendChild(input);
    }
    // The schema's description is English and repeats the label; shown only
    // for parameters the interface has no translated label for.
    var descText = has("param_" + key) ? "" : localized(prop.description);
    var rangeText = prop.minimum !== undefined && prop.maximum !== undefined
      ? " [" + num(prop.minimum, 3) + " – " + num(prop.maximum, 3) + "]"
      : "";
    if (descText || rangeText) {
      var hintId = id + "-hint";
      wrap.appendChild(el("p", { id: hintId, class: "hint", text: (descText + rangeText).trim() }));
      input.setAttribute("aria-describedby", hintId);
    }
    return wrap;
  }

  function collectOverrides() {
    var overrides = {};
    var props = (state.schema && state.schema.properties) || {};
    document.querySelectorAll("#limits-fields [data-key]").forEach(function (input) {
      var key = input.getAttribute("data-key");
      var types = [].concat((props[key] || {}).type || []);
      var def = input.getAttribute("data-default");
      if (input.type === "checkbox") {
        if (String(input.checked) !== def) overrides[key] = input.checked;
      } else if (input.value !== def && input.value !== "") {
        var numeric = types.indexOf("number") >= 0 || types.indexOf("integer") >= 0;
        overrides[key] = numeric ? Number(input.value) : input.value;
      }
    });
    return overrides;
  }

  // ---------- route request ----------

  function submitRoute(ev) {
    ev.preventDefault();
    var missing = ["from", "to"].filter(function (end) {
      return !state.points[end];
    });
    ["from", "to"].forEach(function (end) {
      var input = document.getElementById(end + "-input");
      var msg = document.getElementById(end + "-error");
      if (missing.indexOf(end) >= 0) {
        input.setAttribute("aria-invalid", "true");
        msg.textContent = t(end === "from" ? "need_from" : "need_to");
      } else {
        input.removeAttribute("aria-invalid");
        msg.textContent = "";
      }
    });
    if (missing.length) {
      document.getElementById(missing[0] + "-input").focus();
      return;
    }
    var body = {
      from: state.points.from,
      to: state.points.to,
      profile: document.getElementById("profile-select").value,
      overrides: collectOverrides(),
    };
    var depart = document.getElementById("depart-input").value;
    if (depart) body.depart_at = depart;
    var modeInput = document.querySelector("input[name=mode]:checked");
    if (modeInput && modeInput.value === "transit") {
      // With lang the plan answer carries each leg's spoken maneuvers in that language.
      body.lang = state.lang;
      state.lastPlanQuery = body;
      submitPlan(body);
      return;
    }
    state.lastPlan = null;
    body.lang = state.lang;
    state.lastQuery = body;
    shareInUrl(body);
    setStatus(t("searching"));
    document.getElementById("results").setAttribute("aria-busy", "true");
    postJson("/api/v1/route", body)
      .then(function (res) {
        if (res.ok) renderRoute(res.data, true);
        else renderError(res.data.error || { code: "other", message: "" }, true);
      })
      .catch(function () {
        renderError({ code: "network", message: "" }, true);
      })
      .then(function () {
        document.getElementById("results").removeAttribute("aria-busy");
      });
  }

  // The plan goes into the address, so it can be bookmarked or sent and
  // opening it plans the same route again (see restoreFromUrl).
  function shareInUrl(query) {
    if (!window.history || !window.history.replaceState) return;
    var params = new URLSearchParams(window.location.search);
    params.set("from", query.from.lat + "," + query.from.lon);
    params.set("to", query.to.lat + "," + query.to.lon);
    params.set("profile", query.profile);
    if (query.overrides && Object.keys(query.overrides).length) params.set("overrides", JSON.stringify(query.overrides));
    else params["delete"]("overrides");
    if (query.depart_at) params.set("depart_at", query.depart_at);
    else params["delete"]("depart_at");
    // Commas are legal in a query; unescaped, "from=43.25,76.94" stays readable.
    var query = params.toString().replace(/%2C/gi, ",");
    window.history.replaceState(null, "", window.location.pathname + "?" + query);
  }

  // Fill the form from a shared address and plan it; false if it holds no plan.
  function restoreFromUrl() {
    var params = new URLSearchParams(window.location.search);
    var from = parseCoords(params.get("from") || "");
    var to = parseCoords(params.get("to") || "");
    if (!from || !to) return false;
    [["from", from], ["to", to]].forEach(function (pair) {
      var input = document.getElementById(pair[0] + "-input");
      input.value = formatCoords(pair[1].lat, pair[1].lon);
      setPoint(pair[0], pair[1].lat, pair[1].lon, input.value);
    });
    var select = document.getElementById("profile-select");
    var profile = params.get("profile");
    if (profile && orderedProfiles().some(function (p) { return p.name === profile; })) {
      select.value = profile;
      renderProfileDetails(true);
    }
    var overrides = {};
    try {
      overrides = JSON.parse(params.get("overrides") || "{}") || {};
    } catch (e) {
      overrides = {};
    }
    Object.keys(overrides).forEach(function (key) {
      var input = document.getElementById("limit-" + key);
      if (!input) return;
      if (input.type === "checkbox") input.checked = Boolean(overrides[key]);
      else input.value = String(overrides[key]);
    });
    document.getElementById("depart-input").value = params.get("depart_at") || "";
    document.getElementById("route-form").requestSubmit();
    return true;
  }

  function setStatus(text) {
    document.getElementById("status").textContent = text;
  }

  // ---------- journeys with public transport (POST /api/v1/plan) ----------

  var LEG_STYLES = {
    walk: { color: "#1f4e9c", weight: 5, dashArray: "4 8" },
    bus: { color: "#0b7a3e", weight: 7 },
    trolleybus: { color: "#005f99", weight: 7 },
    metro: { color: "#a1001b", weight: 7 },
    tram: { color: "#8a4b00", weight: 7 },
  };

  function submitPlan(body) {
    setStatus(t("searching"));
    var results = document.getElementById("results");
    results.setAttribute("aria-busy", "true");
    postJson("/api/v1/plan", body)
      .then(function (res) {
        if (res.ok) renderPlan(res.data, true);
        else {
          state.lastPlan = null;
          renderError(res.data.error || { code: "other", message: "" }, true);
        }
      })
      .catch(function () {
        renderError({ code: "network", message: "" }, true);
      })
      .then(function () {
        results.removeAttribute("aria-busy");
      });
  }

  function clock(iso) {
    // "2026-05-04T08:06:00+05:00" -> "08:06": times are the feed's local time.
    return String(iso || "").slice(11, 16);
  }

  function legText(leg) {
    if (leg.mode === "walk") {
      var vars = { distance: distance(leg.distance_m || 0), duration: duration(leg.duration_s || 0) };
      if (leg.to_stop_name && !leg.from_stop_name) return t("leg_walk_to", Object.assign(vars, { stop: leg.to_stop_name }));
      if (leg.from_stop_name && !leg.to_stop_name) return t("leg_walk_from", Object.assign(vars, { stop: leg.from_stop_name }));
      return t("leg_walk", vars);
    }
    var text = t("leg_ride", {
      mode: has("transit_mode_" + leg.mode) ? t("transit_mode_" + leg.mode) : leg.mode,
      route: leg.route_short_name || leg.route_id,
      headsign: leg.headsign || leg.to_stop_name,
      from: leg.from_stop_name,
      departure: clock(leg.departure),
      n: (leg.intermediate_stops || []).length + 1,
      to: leg.to_stop_name,
      arrival: clock(leg.arrival),
    });
    var parts = [text, t("leg_low_floor", { value: t("transit_access_" + leg.wheelchair_accessible) })];
    if (leg.headway_s && leg.exact_times === false) parts.push(t("leg_headway", { min: num(Math.round(leg.headway_s / 60), 0) }));
    return parts.join(". ");
  }

  function drawItinerary(itinerary) {
    routeLayer.clearLayers();
    var bounds = [];
    itinerary.legs.forEach(function (leg) {
      var coords = (leg.geometry && leg.geometry.coordinates) || [];
      var latlngs = coords.map(function (c) {
        return [c[1], c[0]];
      });
      if (latlngs.length < 2) return;
      var style = LEG_STYLES[leg.mode] || LEG_STYLES.bus;
      L.polyline(latlngs, { color: "#ffffff", weight: style.weight + 4, opacity: 0.9, interactive: false }).addTo(routeLayer);
      L.polyline(latlngs, { color: style.color, weight: style.weight, dashArray: style.dashArray, className: "jol-leg-" + leg.mode })
        .bindTooltip(legText(leg))
        .addTo(routeLayer);
      bounds = bounds.concat(latlngs);
    });
    if (bounds.length) map.fitBounds(bounds, { padding: [30, 30] });
  }

  // A leg's spoken maneuvers as a list under it, named for screen readers.
  function legManeuvers(leg, id) {
    var items = leg.maneuvers || [];
    if (!items.length) return null;
    return el("div", { class: "leg-maneuvers" }, [
      el("h4", { id: id + "-heading", text: t("leg_maneuvers") }),
      el("ol", { class: "maneuvers", "aria-labelledby": id + "-heading" },
        items.map(function (m) {
          return el("li", { class: "maneuver maneuver-" + m.code, text: m.text });
        })),
    ]);
  }

  function renderPlan(answer, announce) {
    state.lastPlan = answer;
    state.lastAnswer = null;
    state.lastError = null;
    var body = document.getElementById("results-body");
    body.textContent = "";
    routeLayer.clearLayers();
    markerLayer.clearLayers();
    var itineraries = answer.itineraries || [];
    var heading = t("plan_heading", { n: itineraries.length });
    body.appendChild(el("h3", { id: "plan-heading", text: heading }));
    (answer.warnings || []).forEach(function (w) {
      body.appendChild(el("p", { class: "note", text: warningText(w) }));
    });
    var list = el("ol", { class: "itineraries", "aria-labelledby": "plan-heading" });
    itineraries.forEach(function (it, i) {
      var summary = t("itinerary_summary", {
        departure: clock(it.departure),
        arrival: clock(it.arrival),
        duration: duration(it.duration_s),
        transfers: num(it.transfers, 0),
        walk: distance(it.walk_m),
      });
      var label = it.kind === "street" ? t("itinerary_street") + ": " + summary : summary;
      var legs = el("ol", { class: "legs" });
      it.legs.forEach(function (leg, j) {
        var warnings = (leg.warnings || []).map(function (w) {
          return el("li", { text: warningText(w) });
        });
        legs.appendChild(
          el("li", { class: "leg leg-" + leg.mode }, [
            el("span", { text: clock(leg.departure) + " " + legText(leg) }),
            warnings.length ? el("ul", { class: "warnings" }, warnings) : null,
            legManeuvers(leg, "leg-" + i + "-" + j),
          ])
        );
      });
      var details = el("details", { class: "itinerary" }, [
        el("summary", { text: t("itinerary_label", { n: i + 1 }) + ". " + label }),
        legs,
      ]);
      details.addEventListener("toggle", function () {
        if (details.open) drawItinerary(it);
      });
      if (i === 0) details.open = true;
      list.appendChild(el("li", {}, [details]));
    });
    body.appendChild(list);
    if (itineraries.length) drawItinerary(itineraries[0]);
    setStatus(heading);
    if (announce) document.getElementById("results").focus();
  }

  // ---------- results ----------

  function segmentAccess(seg, profile) {
    var inc = seg.incline || {};
    var upLimit = limitInForce(profile, "max_incline_up_pct");
    var downLimit = limitInForce(profile, "max_incline_down_pct");
    var up = Math.abs(inc.max_up_pct || 0);
    var down = Math.abs(inc.max_down_pct || 0);
    if ((upLimit && up >= STEEP_SHARE_OF_LIMIT * upLimit) || (downLimit && down >= STEEP_SHARE_OF_LIMIT * downLimit)) {
      return "steep";
    }
    if (seg.surface === "unknown" || seg.width === "unknown" || inc.source === "unknown") return "unknown";
    return "ok";
  }

  // The limit in force for this answer: the request's override, else the profile's value.
  function limitInForce(profile, key) {
    var overrides = (state.lastQuery && state.lastQuery.overrides) || {};
    if (typeof overrides[key] === "number") return overrides[key];
    var value = profileParams(profile)[key];
    return typeof value === "number" ? value : null;
  }

  function profileParams(profile) {
    if (!profile) return {};
    return profile.parameters || profile.limits || {};
  }

  // Generic OSM barriers arrive as kind "barrier" with the barrier=* value beside it.
  function barrierKind(b) {
    var kind = b.kind === "barrier" && b.barrier ? b.barrier : b.kind;
    return BARRIER_GLYPHS[kind] && ["unknown_stretch", "junction", "blocking"].indexOf(kind) < 0 ? kind : "other";
  }

  function barrierText(b) {
    var kind = barrierKind(b);
    var name = t("barrier_" + kind);
    if (kind === "other") {
      if (b.kind === "way") name = t("barrier_way");
      var raw = b.kind === "barrier" ? b.barrier : b.kind === "way" ? osmText("highway", b.highway) : b.kind;
      if (raw) name += " (" + raw + ")";
    }
    var parts = [];
    if (b.height_cm !== undefined) {
      parts.push(t("attr_height_cm", { v: b.height_cm === "unknown" ? t("value_unknown") : num(b.height_cm, 1) }));
    }
    if (b.step_count !== undefined && b.step_count !== "unknown") parts.push(t("attr_step_count", { v: b.step_count }));
    ["signals", "sound", "vibration", "tactile_paving", "handrail"].forEach(function (key) {
      if (b[key] !== undefined) parts.push(t("attr_" + key, { v: yesNo(b[key]) }));
    });
    if (b.kind === "barrier" && b.wheelchair !== undefined) parts.push(t("attr_wheelchair", { v: yesNo(b.wheelchair) }));
    if (b.reason) parts.push(has("reason_" + b.reason) ? t("reason_" + b.reason) : b.message || String(b.reason));
    measuredParts(b).forEach(function (part) {
      parts.push(part);
    });
    return parts.length ? name + ": " + parts.join(", ") : name;
  }

  // The measured value of a blocking barrier beside the limit it breaks.
  function measuredParts(b) {
    var parts = [];
    if (typeof b.grade_pct === "number") {
      parts.push(t("attr_grade", {
        grade: num(Math.abs(b.grade_pct), 1),
        length: typeof b.length_m === "number" ? distance(b.length_m) : t("value_unknown"),
        limit: typeof b.limit_pct === "number" ? num(b.limit_pct, 2) : t("value_unknown"),
      }));
    }
    if (typeof b.kerb_cm === "number") {
      parts.push(t("attr_kerb_limit", {
        kerb: num(b.kerb_cm, 1),
        limit: typeof b.limit_cm === "number" ? num(b.limit_cm, 1) : t("value_unknown"),
      }));
    }
    if (typeof b.width_m === "number") {
      parts.push(t("attr_width_limit", {
        width: num(b.width_m, 2),
        limit: typeof b.limit_m === "number" ? num(b.limit_m, 2) : t("value_unknown"),
      }));
    }
    return parts;
  }

  // The Invataxi alternative for the same trip (server option JOL_PAGE_TAXI): asked
  // once per planned query, kept for re-renders (a language switch).
  function taxiSection() {
    var section = el("section", { id: "taxi-estimate", "aria-labelledby": "taxi-heading" });
    section.appendChild(el("h3", { id: "taxi-heading", text: t("taxi_heading") }));
    var query = state.lastQuery;
    if (!query) return section;
    if (state.taxi && state.taxi.query === query) {
      fillTaxi(section, state.taxi.answer);
      return section;
    }
    section.setAttribute("aria-busy", "true");
    postJson("/api/v1/taxi/trip", query)
      .then(function (res) {
        return res.ok ? res.data : null;
      })
      .catch(function () {
        return null;
      })
      .then(function (answer) {
        state.taxi = { query: query, answer: answer };
        if (state.lastQuery === query) fillTaxi(section, answer);
      });
    return section;
  }

  function fillTaxi(section, answer) {
    section.removeAttribute("aria-busy");
    if (!answer) {
      section.appendChild(el("p", { text: t("taxi_unavailable") }));
      return;
    }
    var dl = el("dl", { class: "summary" });
    [
      ["taxi_door_to_door", duration(answer.door_to_door_s)],
      ["taxi_ride", duration(answer.ride_s) + ", " + distance(answer.ride_m)],
      ["taxi_boarding", duration(answer.board_s + answer.alight_s)],
      ["taxi_rolls", duration(answer.roll_to_kerb_s + answer.roll_from_kerb_s)],
    ].forEach(function (row) {
      dl.appendChild(el("div", {}, [el("dt", { text: t(row[0]) }), el("dd", { text: row[1] })]));
    });
    section.appendChild(dl);
    section.appendChild(el("p", { class: "note", text: t("taxi_note") }));
  }

  function renderRoute(answer, announce) {
    state.lastAnswer = answer;
    state.lastError = null;
    var body = document.getElementById("results-body");
    body.textContent = "";
    routeLayer.clearLayers();
    markerLayer.clearLayers();
    var profile = null;
    state.profiles.forEach(function (p) {
      if (p.name === answer.profile) profile = p;
    });
    var route = (answer.routes || [])[0];
    if (!route) {
      renderError({ code: "no_accessible_route", message: "", details: {} }, announce);
      return;
    }
    var coords = route.geometry.coordinates;
    var latlngs = coords.map(function (c) {
      return [c[1], c[0]];
    });

    var snap = answer.snap || {};
    ["from", "to"].forEach(function (end) {
      if (snap[end] && snap[end].distance_m >= 1) {
        body.appendChild(el("p", { class: "note", text: t("snap_" + end, { m: distance(snap[end].distance_m) }) }));
      }
    });

    var dl = el("dl", { class: "summary" });
    var rows = [
      ["summary_distance", distance(route.distance_m)],
      ["summary_duration", duration(route.duration_s)],
      ["summary_ascent", t("meters", { n: num(route.ascent_m || 0, 0) })],
      ["summary_descent", t("meters", { n: num(route.descent_m || 0, 0) })],
      ["summary_steepest_up", grade((route.steepest || {}).up_pct)],
      ["summary_steepest_down", grade((route.steepest || {}).down_pct)],
    ];
    if (answer.conditions) {
      rows.push(["summary_light", t(answer.conditions.daylight ? "light_daylight" : "light_dark")]);
      rows.push(["summary_light_arrival", t(answer.conditions.daylight_at_arrival ? "light_daylight" : "light_dark")]);
    }
    rows.forEach(function (row) {
      dl.appendChild(el("div", {}, [el("dt", { text: t(row[0]) }), el("dd", { text: row[1] })]));
    });
    body.appendChild(dl);
    body.appendChild(downloadLinks());
    if (CONFIG.taxiAvailable) body.appendChild(taxiSection());

    if (route.warnings && route.warnings.length) {
      body.appendChild(el("h3", { text: t("warnings_heading") }));
      body.appendChild(el("ul", { class: "warnings" }, route.warnings.map(function (w) {
        return el("li", { text: warningText(w) });
      })));
    }

    var unknown = route.unknown || {};
    var unknownItems = [];
    if (unknown.kerbs) unknownItems.push(t("unknown_kerbs", { n: unknown.kerbs }));
    if (unknown.crossings) unknownItems.push(t("unknown_crossings", { n: unknown.crossings }));
    if (unknown.junctions) unknownItems.push(t("unknown_junctions", { n: unknown.junctions }));
    if (unknown.surface_m) unknownItems.push(t("unknown_surface", { m: distance(unknown.surface_m) }));
    if (unknown.incline_m) unknownItems.push(t("unknown_incline", { m: distance(unknown.incline_m) }));
    if (unknown.width_m) unknownItems.push(t("unknown_width", { m: distance(unknown.width_m) }));
    // Lighting only matters after dark; by day it would be noise.
    var dark = answer.conditions && !(answer.conditions.daylight && answer.conditions.daylight_at_arrival);
    if (dark && unknown.lit_m) unknownItems.push(t("unknown_lit", { m: distance(unknown.lit_m) }));
    if (unknownItems.length) {
      body.appendChild(el("h3", { text: t("unknown_heading") }));
      body.appendChild(el("ul", { class: "unknowns" }, unknownItems.map(function (x) {
        return el("li", { text: x });
      })));
    }

    body.appendChild(directionsSection(route));

    body.appendChild(el("h3", { id: "steps-heading", text: t("steps_heading") }));
    var list = el("ol", { id: "steps", class: "steps", "aria-labelledby": "steps-heading" });
    var counts = { kerb: 0, crossing: 0, steps: 0, other: 0, unknown: 0 };
    var junctions = route.unmapped_junctions || [];
    (route.segments || []).forEach(function (seg, index) {
      var access = segmentAccess(seg, profile);
      if (access === "unknown") counts.unknown += 1;
      var range = seg.coordinates_range || [0, coords.length - 1];
      var part = latlngs.slice(range[0], range[1] + 1);
      var style = ACCESS_STYLES[access];
      if (part.length > 1) {
        // A white casing under every line keeps patterns readable over any background.
        L.polyline(part, { color: "#ffffff", weight: style.weight + 4, opacity: 0.9, interactive: false }).addTo(routeLayer);
        L.polyline(part, { color: style.color, weight: style.weight, dashArray: style.dashArray, opacity: 1, lineCap: "butt" })
          .bindTooltip(t("access_" + access))
          .addTo(routeLayer);
      }
      if (access === "unknown" && part.length) {
        var mid = part[Math.floor(part.length / 2)];
        L.marker(mid, { icon: markerIcon("unknown_stretch", t("barrier_unknown_stretch")), keyboard: false })
          .bindTooltip(t("barrier_unknown_stretch"))
          .addTo(markerLayer);
      }
      var here = junctions.filter(function (j) {
        return j.segment === index;
      });
      list.appendChild(segmentItem(seg, access, counts, here));
    });
    body.appendChild(list);

    // The route's own A/B (at the snapped points) replace the chosen-point markers.
    Object.keys(endMarkers).forEach(function (key) {
      if (endMarkers[key]) map.removeLayer(endMarkers[key]);
      endMarkers[key] = null;
    });
    var start = latlngs[0];
    var end = latlngs[latlngs.length - 1];
    L.marker(start, { icon: endIcon("A", t("marker_start")), keyboard: false, title: t("marker_start") }).addTo(markerLayer);
    L.marker(end, { icon: endIcon("B", t("marker_end")), keyboard: false, title: t("marker_end") }).addTo(markerLayer);
    if (latlngs.length > 1) map.fitBounds(L.latLngBounds(latlngs), { padding: [30, 30], animate: false });

    if (announce) {
      var junctionCount = junctions.length || (route.unknown || {}).junctions || 0;
      setStatus(
        t("route_found", {
          distance: distance(route.distance_m),
          duration: duration(route.duration_s),
          details: countsText(counts, junctionCount),
        })
      );
    }
  }

  // Only what is there: "0 kerbs, 0 crossings" on a route through sixteen
  // unmapped junctions would say the way is clear when nobody knows.
  function countsText(counts, junctions) {
    var parts = [];
    if (junctions) parts.push(t("count_junctions", { n: junctions }));
    if (counts.kerb) parts.push(t("count_kerbs", { n: counts.kerb }));
    if (counts.crossing) parts.push(t("count_crossings", { n: counts.crossing }));
    if (counts.steps) parts.push(t("count_steps", { n: counts.steps }));
    if (counts.other) parts.push(t("count_other", { n: counts.other }));
    if (!parts.length) parts.push(t("count_none"));
    if (counts.unknown) parts.push(t("count_unknown", { n: counts.unknown }));
    var text = parts.join("; ");
    return text.charAt(0).toUpperCase() + text.slice(1) + ".";
  }

  function sidewalkText(seg) {
    if (seg.sidewalk === null) return t("sidewalk_footway");
    return t("sidewalk_" + (seg.sidewalk === "yes" || seg.sidewalk === "no" ? seg.sidewalk : "unknown"));
  }

  function segmentItem(seg, access, counts, junctions) {
    var name = seg.name || t("unnamed");
    // A sidewalk or crossing says more than the footway it is mapped as.
    var kind = seg.footway ? osmText("footway", seg.footway) : seg.highway ? osmText("highway", seg.highway) : "";
    var li = el("li", { class: "step step-" + access });
    li.appendChild(
      // What to do comes first; how much is known about it follows.
      el("p", { class: "step-title" }, [
        el("strong", { text: name }),
        kind ? " (" + kind + ")" : "",
        " — " + t("seg_length", { length: distance(seg.length_m), duration: duration(seg.duration_s) }) + " ",
        el("span", { class: "access-badge access-" + access, text: t("access_" + access) }),
      ])
    );
    var inc = seg.incline || {};
    var incText = inc.source === "unknown" || inc.grade_pct === undefined || inc.grade_pct === null
      ? t("value_unknown")
      : t("seg_incline_value", {
          grade: num(inc.grade_pct, 1),
          up: num(inc.max_up_pct || 0, 1),
          down: num(inc.max_down_pct || 0, 1),
          source: t("source_" + (inc.source || "unknown")),
        });
    var facts = el("ul", { class: "facts" }, [
      el("li", { text: t("seg_surface") + ": " + osmText("surface", seg.surface) }),
      el("li", { text: t("seg_smoothness") + ": " + osmText("smoothness", seg.smoothness) }),
      el("li", { text: t("seg_incline") + ": " + incText }),
      el("li", { text: t("seg_width") + ": " + (seg.width === "unknown" || seg.width === undefined ? t("value_unknown") : t("meters", { n: num(seg.width, 1) })) }),
      el("li", { text: t("seg_lit") + ": " + yesNo(seg.lit) }),
      seg.sidewalk !== undefined ? el("li", { class: "sidewalk", text: t("seg_sidewalk") + ": " + sidewalkText(seg) }) : null,
      junctions.length ? el("li", { class: "junctions", text: t("step_junctions", { n: junctions.length }) }) : null,
    ]);
    li.appendChild(facts);
    junctions.forEach(function (j) {
      var label = t("junction_point");
      L.marker([j.lat, j.lon], { icon: markerIcon("junction", label), keyboard: false }).bindTooltip(label).addTo(markerLayer);
    });
    var barriers = seg.barriers || [];
    if (barriers.length) {
      var ul = el("ul", { class: "barriers" });
      barriers.forEach(function (b) {
        var kind = barrierKind(b);
        if (kind === "kerb" || kind === "crossing" || kind === "steps") counts[kind] += 1;
        else counts.other += 1;
        var text = barrierText(b);
        ul.appendChild(
          el("li", { class: "barrier barrier-" + kind }, [
            el("span", { class: "glyph jol-marker-" + kind, "aria-hidden": "true", text: BARRIER_GLYPHS[kind] }),
            " " + text,
          ])
        );
        L.marker([b.lat, b.lon], { icon: markerIcon(kind, text), keyboard: false }).bindTooltip(text).addTo(markerLayer);
      });
      li.appendChild(ul);
    }
    return li;
  }

  function valueText(v) {
    if (v === undefined || v === null || v === "unknown") return t("value_unknown");
    return String(v);
  }

  // OSM words (highway=primary, surface=paving_stones) said in the page's
  // language; a value we have no word for is shown as OSM spells it.
  function osmText(key, v) {
    var word = "osm_" + key + "_" + v;
    return has(word) ? t(word) : valueText(v);
  }

  // The server's words for the route (the same the audio says), and a Listen
  // button that asks for the audio only when pressed; nothing plays by itself.
  function directionsSection(route) {
    var wrap = el("section", { class: "directions", "aria-labelledby": "directions-heading" });
    wrap.appendChild(el("h3", { id: "directions-heading", text: t("dir_heading") }));
    var button = el("button", { type: "button", id: "listen-button", class: "secondary", text: t("dir_listen") });
    var player = el("div", { id: "listen-player", "aria-live": "polite" });
    button.addEventListener("click", function () {
      listen(button, player);
    });
    wrap.appendChild(button);
    wrap.appendChild(player);
    wrap.appendChild(el("h4", { id: "maneuvers-heading", text: t("dir_text_version") }));
    wrap.appendChild(
      el("ol", { id: "maneuvers", class: "maneuvers", "aria-labelledby": "maneuvers-heading" },
        (route.maneuvers || []).map(function (m) {
          return el("li", { class: "maneuver maneuver-" + m.code, text: m.text });
        }))
    );
    return wrap;
  }

  function listen(button, player) {
    var query = state.lastQuery;
    if (!query) return;
    button.disabled = true;
    player.textContent = t("dir_listen_loading");
    fetch("/api/v1/directions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({}, query, { lang: state.lang, format: "audio" })),
    })
      .then(function (r) {
        if (!r.ok) throw new Error("audio " + r.status);
        return r.blob();
      })
      .then(function (blob) {
        player.textContent = "";
        var audio = el("audio", { controls: "", preload: "auto", "aria-label": t("dir_player_label") });
        audio.src = URL.createObjectURL(blob);
        player.appendChild(audio);
        audio.focus();
      })
      .catch(function () {
        player.textContent = t("dir_listen_failed");
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function downloadLinks() {
    var q = state.lastQuery;
    var wrap = el("div", { class: "downloads" });
    if (!q) return wrap;
    var base =
      "/api/v1/route?from=" + q.from.lat + "," + q.from.lon +
      "&to=" + q.to.lat + "," + q.to.lon +
      "&profile=" + encodeURIComponent(q.profile);
    if (q.overrides && Object.keys(q.overrides).length) {
      base += "&overrides=" + encodeURIComponent(JSON.stringify(q.overrides));
    }
    if (q.depart_at) base += "&depart_at=" + encodeURIComponent(q.depart_at);
    wrap.appendChild(el("h3", { text: t("downloads") }));
    wrap.appendChild(
      el("ul", {}, [
        el("li", {}, [el("a", { href: base + "&format=geojson", download: "jol-route.geojson", text: t("download_geojson") })]),
        el("li", {}, [el("a", { href: base + "&format=gpx", download: "jol-route.gpx", text: t("download_gpx") })]),
      ])
    );
    return wrap;
  }

  function renderError(error, announce) {
    state.lastPlan = null;
    state.lastError = error;
    state.lastAnswer = null;
    var body = document.getElementById("results-body");
    body.textContent = "";
    routeLayer.clearLayers();
    markerLayer.clearLayers();
    // Said from the code in the page's language: the server's message is English.
    var summary = t(has("error_" + error.code) ? "error_" + error.code : "error_other");
    var details = error.details || {};
    var box = el("div", { class: "error-box" }, [
      el("h3", { text: t("error_heading") }),
      el("p", { text: summary }),
      typeof details.field === "string" ? el("p", { class: "detail", text: t("error_field", { field: details.field }) }) : null,
    ]);
    var candidate = drawCandidate(details.candidate);
    if (candidate) box.appendChild(el("p", { id: "candidate-note", text: t("candidate_note", { distance: candidate }) }));
    var blocking = details.blocking || [];
    if (blocking.length) {
      box.appendChild(el("p", { text: t("blocking_heading") }));
      var ul = el("ul", { class: "barriers", id: "blocking-list" });
      blocking.forEach(function (b) {
        var kind = barrierKind(b);
        var text = barrierText(b);
        var osm = b.osm_id ? " — " + t("osm_object", { type: b.osm_type || "", id: b.osm_id }) : "";
        ul.appendChild(
          el("li", { class: "barrier barrier-blocking" }, [
            el("span", { class: "glyph jol-marker-blocking", "aria-hidden": "true", text: BARRIER_GLYPHS.blocking }),
            " " + text + osm,
          ])
        );
        if (typeof b.lat === "number" && typeof b.lon === "number") {
          L.marker([b.lat, b.lon], {
            icon: markerIcon("blocking", t("barrier_blocking") + ": " + text),
            keyboard: false,
          })
            .bindTooltip(text)
            .addTo(markerLayer);
        }
      });
      box.appendChild(ul);
    }
    var suggestions = suggestionItems(details.suggestions);
    if (suggestions.length) {
      box.appendChild(el("p", { text: t("suggestions_heading") }));
      box.appendChild(el("ul", { id: "suggestions", class: "suggestions" }, suggestions));
    }
    body.appendChild(box);
    fitToPoints(blocking.concat(candidatePoints(details.candidate)));
    if (announce) setStatus(summary);
  }

  // The best route the profile cannot take, drawn so the blockers are seen on it;
  // answers its length in words, or "" when the server sent none.
  function drawCandidate(candidate) {
    var coords = candidate && candidate.geometry && candidate.geometry.coordinates;
    if (!coords || coords.length < 2) return "";
    var latlngs = candidatePoints(candidate).map(function (p) {
      return [p.lat, p.lon];
    });
    L.polyline(latlngs, { color: "#ffffff", weight: CANDIDATE_STYLE.weight + 4, opacity: 0.9, interactive: false }).addTo(routeLayer);
    L.polyline(latlngs, { color: CANDIDATE_STYLE.color, weight: CANDIDATE_STYLE.weight, dashArray: CANDIDATE_STYLE.dashArray, className: "jol-candidate" })
      .bindTooltip(t("candidate_legend"))
      .addTo(routeLayer);
    return typeof candidate.distance_m === "number" ? distance(candidate.distance_m) : t("value_unknown");
  }

  function candidatePoints(candidate) {
    var coords = (candidate && candidate.geometry && candidate.geometry.coordinates) || [];
    return coords.map(function (c) {
      return { lat: c[1], lon: c[0] };
    });
  }

  function suggestionItems(suggestions) {
    return (suggestions || []).map(function (s) {
      var params = s.params || {};
      var vars = {};
      Object.keys(params).forEach(function (k) {
        vars[k] = params[k];
      });
      if (params.profile) {
        var match = state.profiles.filter(function (p) {
          return p.name === params.profile;
        })[0];
        vars.profile = match ? localized(match.title) || match.name : params.profile;
      }
      if (!has("suggestion_" + s.code)) return el("li", { text: t("suggestion_other", { code: String(s.code) }) });
      return el("li", { text: t("suggestion_" + s.code, vars) });
    });
  }

  // Show the chosen ends and the given points (e.g. blocking barriers) together.
  function fitToPoints(points) {
    var latlngs = [];
    ["from", "to"].forEach(function (end) {
      var p = state.points[end];
      if (p) latlngs.push([p.lat, p.lon]);
    });
    points.forEach(function (p) {
      if (typeof p.lat === "number" && typeof p.lon === "number") latlngs.push([p.lat, p.lon]);
    });
    if (latlngs.length > 1) map.fitBounds(L.latLngBounds(latlngs), { padding: [30, 30], animate: false });
  }

  function renderLegend() {
    var legend = document.getElementById("legend");
    legend.textContent = "";
    ["ok", "unknown", "steep"].forEach(function (access) {
      legend.appendChild(
        el("li", {}, [el("span", { class: "line-sample line-" + access, "aria-hidden": "true" }), " " + t("access_" + access)])
      );
    });
    legend.appendChild(
      el("li", {}, [el("span", { class: "line-sample line-candidate", "aria-hidden": "true" }), " " + t("candidate_legend")])
    );
    ["kerb", "crossing", "steps", "elevator", "gate", "bollard", "other", "junction", "unknown_stretch", "blocking"].forEach(function (kind) {
      legend.appendChild(
        el("li", {}, [
          el("span", { class: "glyph jol-marker-" + kind, "aria-hidden": "true", text: BARRIER_GLYPHS[kind] }),
          " " + t("barrier_" + kind),
        ])
      );
    });
  }

  function renderDataInfo() {
    var node = document.getElementById("data-info");
    fetchInfo().then(function (info) {
      if (!info) return;
      node.textContent = t("data_loaded", { city: info.city || "?", date: info.osm_date || t("value_unknown") });
    });
  }

  var infoPromise = null;
  function fetchInfo() {
    if (!infoPromise) {
      infoPromise = fetch("/api/v1/health")
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (h) {
          return h ? h.data : null;
        })
        .catch(function () {
          return null;
        });
    }
    return infoPromise;
  }

  // ---------- start ----------

  function start() {
    var stored = storedLanguage();
    if (stored && I18N[stored] && stored !== state.lang) {
      state.lang = stored;
    }
    initMap();
    new Combobox("from");
    new Combobox("to");
    document.getElementById("route-form").addEventListener("submit", submitRoute);
    document.getElementById("lang-select").addEventListener("change", function (ev) {
      applyLanguage(ev.target.value);
      rememberLanguage(ev.target.value);
    });
    document.getElementById("profile-select").addEventListener("change", function (ev) {
      rememberProfile(ev.target.value);
      renderProfileDetails(true);
    });
    document.getElementById("limits-reset").addEventListener("click", function () {
      renderProfileDetails(true);
    });
    document.getElementById("swap-button").addEventListener("click", function () {
      var fromInput = document.getElementById("from-input");
      var toInput = document.getElementById("to-input");
      var p = state.points.from;
      var l = state.labels.from;
      var v = fromInput.value;
      fromInput.value = toInput.value;
      toInput.value = v;
      setPoint("from", state.points.to ? state.points.to.lat : null, state.points.to ? state.points.to.lon : null, state.labels.to);
      setPoint("to", p ? p.lat : null, p ? p.lon : null, l);
    });
    applyLanguage(state.lang);
    loadProfiles().then(function () {
      restoreFromUrl();
      document.body.setAttribute("data-ready", "true");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
