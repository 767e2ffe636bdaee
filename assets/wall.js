/* One Screen wall screen (/wall): panel rotation, the clock, the screen size, a stale check that works even
 * when the server cannot be reached, and the alert takeover: when a breach starts (a unit and rule in the alert
 * rail that this screen had not shown before), the takeover covers the stage for one dwell, then the rotation,
 * which never stopped beneath it, shows again; breaches already on when the screen loads only sit in the rail.
 *
 * Dash loads every file in assets/ on every page; this one acts only while the element with id "wall" is on
 * the page. It sets, through dash_clientside.set_props, only props that no callback listens to (panel classes,
 * the clock's text, the badge), so none of it reaches the server, and Dash's renderer, which keeps an undo
 * history of every change to a callback input made in the browser, records nothing for it. The screen size is
 * the exception: it is a callback input, sent once per size. Configuration comes from the wall root's data-*
 * attributes (layouts/wall.py).
 */
(function () {
  "use strict";
  var TICK_MS = 250;
  var HISTORY_KEPT = 10;
  var PANELS = ["map", "ranking", "trend"];
  var wall = null;

  function setProps(id, props) {
    var dc = window.dash_clientside;
    if (dc && dc.set_props) {
      dc.set_props(id, props);
    }
  }

  function clockFormat(tz, lang) {
    var options = {
      timeZone: tz, weekday: "short", month: lang === "en" ? "short" : "long", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
    };
    try {
      return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", options);
    } catch (err) {  // an unknown zone in an old browser: the browser's own zone rather than no clock
      delete options.timeZone;
      return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", options);
    }
  }

  function mount(root) {
    var d = root.dataset;
    var panels = (d.panels || "map").split(",").filter(function (p) { return PANELS.indexOf(p) >= 0; });
    wall = {
      root: root,
      start: Date.now(),
      panels: panels.length ? panels : ["map"],
      dwell: Math.max(Number(d.dwell) || 20000, 1000),
      grace: (Number(d.poll) || 15000) + 5000,
      stale: Number(d.stale) || 1800000,
      clock: clockFormat(d.tz, d.lang),
      classes: {},
      size: "",
      freshRaw: null,
      fresh: null,
      offset: 0,
      badgeByUs: null,
      seen: null,
      takeoverUntil: 0
    };
    PANELS.forEach(function (name) {
      var el = document.getElementById("wall-panel-" + name);
      wall.classes[name] = el ? el.className : "";
    });
  }

  function sendSize() {
    var size = { w: window.innerWidth, h: window.innerHeight };
    var key = size.w + "x" + size.h;
    if (key !== wall.size) {
      wall.size = key;
      setProps("wall-viewport", { data: size });
    }
  }

  function rotate(now) {
    var active = wall.panels[Math.floor((now - wall.start) / wall.dwell) % wall.panels.length];
    PANELS.forEach(function (name) {
      var cls = name === active ? "wall-panel active" : "wall-panel";
      if (wall.classes[name] !== cls) {
        wall.classes[name] = cls;
        setProps("wall-panel-" + name, { className: cls });
      }
    });
  }

  function tickClock(now) {
    var el = document.getElementById("wall-clock");
    var text = wall.clock.format(new Date(now + wall.offset));
    if (el && el.textContent !== text) {
      setProps("wall-clock", { children: text });
    }
  }

  // The server's poll sets the badge when a refresh fails or the data is old. When the server itself cannot be
  // reached nothing answers the poll, so the browser checks the age of what it shows (with the server's clock,
  // as of the last redraw) and says so itself.
  function checkAge(now) {
    var drawn = document.getElementById("wall-drawn");
    var badge = document.getElementById("wall-badge");
    if (!drawn || !badge) {
      return;
    }
    var raw = drawn.getAttribute("data-fresh");
    if (raw && raw !== wall.freshRaw) {
      wall.freshRaw = raw;
      try {
        wall.fresh = JSON.parse(raw);
        wall.offset = wall.fresh.server - Date.now();
      } catch (err) {
        wall.fresh = null;
      }
    }
    if (!wall.fresh) {
      return;
    }
    var old = now + wall.offset - wall.fresh.asOf > wall.stale + wall.grace;
    var text = badge.textContent;
    if (old && !text) {
      wall.badgeByUs = wall.fresh.old;
      setProps("wall-badge", { children: wall.fresh.old, className: "wall-badge stale" });
    } else if (!old && text && text === wall.badgeByUs) {
      wall.badgeByUs = null;
      setProps("wall-badge", { children: "", className: "wall-badge" });
    }
  }

  function railKeys() {
    var keys = {};
    document.querySelectorAll("#wall-rail .wall-rail-item").forEach(function (el) {
      keys[el.getAttribute("data-unit") + "/" + el.getAttribute("data-kind")] = true;
    });
    return keys;
  }

  function takeover(now) {
    var drawn = document.getElementById("wall-drawn");
    if (!drawn || !drawn.textContent) {
      return;  // nothing drawn yet: what the first drawing shows is not a breach that starts now
    }
    var keys = railKeys();
    if (wall.seen === null) {
      wall.seen = keys;
    }
    var started = Object.keys(keys).some(function (k) { return !wall.seen[k]; });
    wall.seen = keys;  // a breach that ends and comes back later starts again
    if (started) {
      wall.takeoverUntil = now + wall.dwell;
    }
    var cls = now < wall.takeoverUntil && Object.keys(keys).length ? "wall-alert active" : "wall-alert";
    var el = document.getElementById("wall-alert");
    if (el && el.className !== cls) {
      setProps("wall-alert", { className: cls });
    }
  }

  // Dash's renderer keeps every browser-made change of a callback input (here: each tick of the poll interval)
  // in an undo history that nothing reads while undo/redo is hidden; only reverting after an error looks at its
  // newest entry (plotly/dash#727). A wall polls for weeks, so the history keeps only its newest entries.
  function trimHistory() {
    var store = window.store;
    var state = store && typeof store.getState === "function" ? store.getState() : null;
    var past = state && state.history && state.history.past;
    var undoShown = state && state.config && state.config.show_undo_redo;
    if (Array.isArray(past) && !undoShown && past.length > HISTORY_KEPT) {
      past.splice(0, past.length - HISTORY_KEPT);
    }
  }

  function tick() {
    var root = document.getElementById("wall");
    if (!root) {
      wall = null;
      return;
    }
    if (!wall || wall.root !== root) {
      mount(root);
    }
    var now = Date.now();
    sendSize();
    rotate(now);
    tickClock(now);
    checkAge(now);
    takeover(now);
    trimHistory();
  }

  window.setInterval(tick, TICK_MS);
})();
