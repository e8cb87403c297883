/* A stand-in for Telegram's telegram-web-app.js, served by the local Bot API stand-in
   (standin/server.py, /js/telegram-web-app.js) for the sandbox and the tests. It implements
   only what the survey's pages use: the launch data from the URL's fragment, the theme,
   ready/expand/close, events, and showConfirm/showAlert through the browser's own dialogs.
   In production the pages load Telegram's real script instead (WEBAPP_SCRIPT_URL). */
(function () {
  "use strict";
  var launch = new URLSearchParams(window.location.hash.slice(1));
  var initData = launch.get("tgWebAppData") || "";
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    if (key === "user" || key === "receiver" || key === "chat") {
      try { unsafe[key] = JSON.parse(value); } catch (e) { unsafe[key] = null; }
    } else if (key === "auth_date") {
      unsafe[key] = parseInt(value, 10);
    } else {
      unsafe[key] = value;
    }
  });
  var theme = {};
  try { theme = JSON.parse(launch.get("tgWebAppThemeParams") || "{}") || {}; } catch (e) { theme = {}; }
  function luminance(hex) {
    var m = /^#([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) { return 1; }
    var n = parseInt(m[1], 16);
    return (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }
  var handlers = {};
  function noop() { return MainButton; }
  var MainButton = {
    text: "", isVisible: false, isActive: true,
    setText: noop, show: noop, hide: noop, enable: noop, disable: noop,
    onClick: noop, offClick: noop, setParams: noop
  };
  var WebApp = {
    initData: initData,
    initDataUnsafe: unsafe,
    version: launch.get("tgWebAppVersion") || "8.0",
    platform: launch.get("tgWebAppPlatform") || "unknown",
    themeParams: theme,
    colorScheme: luminance(theme.bg_color) < 0.5 ? "dark" : "light",
    isExpanded: true,
    MainButton: MainButton,
    ready: function () {},
    expand: function () {},
    close: function () { window.close(); },
    onEvent: function (name, callback) { (handlers[name] = handlers[name] || []).push(callback); },
    offEvent: function (name, callback) {
      handlers[name] = (handlers[name] || []).filter(function (h) { return h !== callback; });
    },
    showConfirm: function (message, callback) {
      var ok = window.confirm(message);
      if (callback) { setTimeout(function () { callback(ok); }, 0); }
    },
    showAlert: function (message, callback) {
      window.alert(message);
      if (callback) { setTimeout(callback, 0); }
    },
    /* Not Telegram's: lets a test switch the theme as a client would. */
    _setTheme: function (params) {
      WebApp.themeParams = params;
      WebApp.colorScheme = luminance(params.bg_color) < 0.5 ? "dark" : "light";
      (handlers.themeChanged || []).forEach(function (h) { h.call(WebApp); });
    }
  };
  window.Telegram = { WebApp: WebApp };
})();
