/* What both pages share: the signed API calls, the texts, the theme, announcements. */
"use strict";
var Survey = (function () {
  var tg = (window.Telegram && window.Telegram.WebApp) || null;
  var texts = {};

  function t(key, values) {
    var text = texts[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; }
      else if (name.slice(0, 2) === "on") { node.addEventListener(name.slice(2), value); }
      else if (value === true) { node.setAttribute(name, ""); }
      else { node.setAttribute(name, value); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function initData() { return tg ? tg.initData || "" : ""; }

  /* Resolves to {status, body}; a network failure resolves with status 0. */
  function api(method, path, body) {
    var options = { method: method, headers: { "X-Telegram-Init-Data": initData() } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    }, function () {
      return { status: 0, body: { error: { code: "network", message: t("network_error") } } };
    });
  }

  function errorText(reply) {
    var error = reply.body && reply.body.error;
    return (error && error.message) || t("network_error");
  }

  var live = null;
  function announce(message) {
    live = live || document.getElementById("status");
    // Emptied first, so that the same words said twice are announced twice.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  function confirmAction(message) {
    return new Promise(function (resolve) {
      if (tg && tg.showConfirm) { tg.showConfirm(message, function (ok) { resolve(!!ok); }); }
      else { resolve(window.confirm(message)); }
    });
  }

  /* Theme: Telegram's colours, each checked for WCAG AA contrast and adjusted if short. */
  function rgb(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) { return null; }
    var n = parseInt(m[1], 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  function hex(c) {
    return "#" + c.map(function (v) { return ("0" + Math.round(v).toString(16)).slice(-2); }).join("");
  }
  function lum(c) {
    var l = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function ratio(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  /* `fg` moved towards black or white, whichever `bg` contrasts with, until it reaches `min`. */
  function readable(fg, bg, min) {
    var target = lum(bg) > 0.18 ? [0, 0, 0] : [255, 255, 255];
    var c = fg.slice();
    for (var step = 0; step < 20 && ratio(c, bg) < min; step++) {
      c = c.map(function (v, i) { return v + (target[i] - v) * 0.15; });
    }
    return ratio(c, bg) < min ? target : c;
  }
  /* A button's background moved away from its text until the text is readable on it. */
  function buttonBackground(bg, text, min) {
    var target = lum(text) > 0.18 ? [0, 0, 0] : [255, 255, 255];
    var c = bg.slice();
    for (var step = 0; step < 20 && ratio(c, text) < min; step++) {
      c = c.map(function (v, i) { return v + (target[i] - v) * 0.12; });
    }
    return c;
  }

  function applyTheme() {
    var p = (tg && tg.themeParams) || {};
    var dark = tg && tg.colorScheme === "dark";
    var bg = rgb(p.bg_color) || (dark ? [33, 33, 33] : [255, 255, 255]);
    var section = rgb(p.secondary_bg_color) || (dark ? [15, 15, 15] : [244, 244, 245]);
    var text = readable(rgb(p.text_color) || (lum(bg) > 0.18 ? [0, 0, 0] : [255, 255, 255]), bg, 7);
    var hint = rgb(p.hint_color) || [112, 117, 121];
    var link = rgb(p.link_color) || [51, 144, 236];
    var buttonText = rgb(p.button_text_color) || [255, 255, 255];
    var button = buttonBackground(rgb(p.button_color) || [51, 144, 236], buttonText, 4.5);
    var danger = rgb(p.destructive_text_color) || [229, 57, 53];
    var worst = ratio(section, bg) > 1 ? section : bg; // text sits on both
    var vars = {
      "--bg": bg, "--section-bg": section, "--text": text,
      "--hint": readable(readable(hint, bg, 4.5), worst, 4.5),
      "--link": readable(readable(link, bg, 4.5), worst, 4.5),
      "--button": button, "--button-text": buttonText,
      "--danger": readable(readable(danger, bg, 4.5), worst, 4.5),
      "--border": readable(hint, bg, 3)
    };
    var style = document.documentElement.style;
    Object.keys(vars).forEach(function (name) { style.setProperty(name, hex(vars[name])); });
    document.documentElement.setAttribute("data-scheme", lum(bg) > 0.18 ? "light" : "dark");
  }

  function setTexts(lang, newTexts) {
    texts = newTexts || {};
    document.documentElement.lang = lang || "en";
  }

  function languageSwitcher(languages, current, onChange) {
    var select = el("select", { id: "language", onchange: function () { onChange(select.value); } },
      languages.map(function (language) {
        return el("option", { value: language.code, lang: language.code, selected: language.code === current, text: language.name });
      }));
    return el("p", { "class": "language" }, [el("label", { "for": "language", text: t("language") }), " ", select]);
  }

  /* The page as shown to someone the API refused: the reason only, nothing of any Office. */
  function refusal(message) {
    var main = document.getElementById("main");
    main.textContent = "";
    main.appendChild(el("h1", { text: document.title }));
    main.appendChild(el("p", { "class": "refusal", role: "alert", text: message }));
  }

  function start(load) {
    applyTheme();
    if (tg) {
      tg.ready();
      tg.expand();
      tg.onEvent("themeChanged", applyTheme);
    }
    load();
  }

  return {
    tg: tg, t: t, el: el, svg: svg, api: api, errorText: errorText, announce: announce,
    confirmAction: confirmAction, setTexts: setTexts, languageSwitcher: languageSwitcher,
    refusal: refusal, initData: initData, start: start, applyTheme: applyTheme
  };
})();
