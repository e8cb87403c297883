/* The Secretariat's dashboard: the funnel, every Office, the ranking, exports and actions. */
"use strict";
(function () {
  var S = Survey, t = S.t, el = S.el;
  var state = null;
  var sort = { key: "code", direction: "ascending" };

  function load() {
    return S.api("GET", "api/secretariat/overview").then(function (reply) {
      if (reply.status !== 200) { S.refusal(S.errorText(reply)); return; }
      state = reply.body;
      S.setTexts(state.lang, state.texts);
      render();
    });
  }

  function table(caption, heads, rows, attrs) {
    return el("table", attrs || {}, [
      el("caption", { "class": "sr-only", text: caption }),
      el("thead", {}, [el("tr", {}, heads.map(function (h) { return typeof h === "string" ? el("th", { scope: "col", text: h }) : h; }))]),
      el("tbody", {}, rows)
    ]);
  }

  /* A wide table scrolls sideways on a phone: by keyboard too, hence focusable and named. */
  function scroller(name, content) {
    return el("div", { "class": "scroll", tabindex: "0", role: "region", "aria-label": name }, [content]);
  }

  function cells(values, rowHeader) {
    return el("tr", {}, values.map(function (value, i) {
      return i === rowHeader ? el("th", { scope: "row", text: value }) : el("td", { text: value });
    }));
  }

  var columns = [
    { key: "code", label: "office_code", value: function (o) { return o.code; } },
    { key: "name", label: "office_name", value: function (o) { return o.name; } },
    { key: "stage", label: "stage", value: function (o) { return o.stage_label; } },
    { key: "answered", label: "answered_count", value: function (o) { return o.answered; }, text: function (o) { return o.answered + " / " + o.total; } },
    { key: "last_activity", label: "last_activity", value: function (o) { return o.last_activity || ""; }, text: function (o) { return o.last_activity_text || "–"; } },
    { key: "representatives", label: "representatives", value: function (o) { return o.representatives.join(", "); } }
  ];

  function officeRows() {
    var text = (document.getElementById("office-filter") || {}).value || "";
    var stage = (document.getElementById("stage-filter") || {}).value || "";
    var needle = text.trim().toLowerCase();
    var column = columns.filter(function (c) { return c.key === sort.key; })[0];
    var shown = state.offices.filter(function (o) {
      return (!stage || o.stage === stage) &&
        (!needle || (o.code + " " + o.name + " " + o.representatives.join(" ")).toLowerCase().indexOf(needle) >= 0);
    });
    shown.sort(function (a, b) {
      var x = column.value(a), y = column.value(b);
      var order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), state.lang);
      return sort.direction === "ascending" ? order : -order;
    });
    return shown;
  }

  function fillOffices() {
    var shown = officeRows();
    var body = document.querySelector("#offices tbody");
    body.textContent = "";
    shown.forEach(function (o) {
      body.appendChild(el("tr", {}, columns.map(function (c, i) {
        var value = c.text ? c.text(o) : String(c.value(o));
        return i === 0 ? el("th", { scope: "row", text: value }) : el("td", { text: value });
      })));
    });
    document.getElementById("offices-shown").textContent = t("shown", { shown: shown.length, total: state.offices.length });
    columns.forEach(function (c) {
      var th = document.getElementById("col-" + c.key);
      if (c.key === sort.key) { th.setAttribute("aria-sort", sort.direction); } else { th.removeAttribute("aria-sort"); }
    });
  }

  function sortBy(key) {
    sort = { key: key, direction: sort.key === key && sort.direction === "ascending" ? "descending" : "ascending" };
    fillOffices();
    S.announce(t("sort_by", { column: t(columns.filter(function (c) { return c.key === key; })[0].label) }));
  }

  function officesSection() {
    var stages = [];
    state.funnel.forEach(function (f) { stages.push(el("option", { value: f.stage, text: f.label })); });
    var seen = {};
    state.offices.forEach(function (o) { seen[o.stage] = o.stage_label; });
    var known = state.funnel.map(function (f) { return f.stage; });
    Object.keys(seen).forEach(function (code) { if (known.indexOf(code) < 0) { stages.push(el("option", { value: code, text: seen[code] })); } });
    var heads = columns.map(function (c) {
      return el("th", { scope: "col", id: "col-" + c.key }, [
        el("button", { type: "button", "class": "sort", onclick: function () { sortBy(c.key); }, text: t(c.label) })
      ]);
    });
    return el("section", { "aria-labelledby": "offices-title", "class": "card" }, [
      el("h2", { id: "offices-title", text: t("offices_caption") }),
      el("div", { "class": "filters" }, [
        el("p", {}, [el("label", { "for": "office-filter", text: t("filter_text") }), " ",
          el("input", { type: "search", id: "office-filter", oninput: fillOffices })]),
        el("p", {}, [el("label", { "for": "stage-filter", text: t("filter_stage") }), " ",
          el("select", { id: "stage-filter", onchange: fillOffices }, [el("option", { value: "", text: t("all_stages") })].concat(stages))])
      ]),
      el("p", { id: "offices-shown", "class": "hint" }),
      scroller(t("offices_caption"), table(t("offices_caption"), heads, [], { id: "offices" }))
    ]);
  }

  function rankingSection() {
    var scale = state.scale;
    var heads = [t("rank"), t("number"), t("title")].concat(scale.map(function (l) { return l.label; }), [t("score")]);
    var rows = state.ranking.map(function (r) {
      return cells([r.rank === null ? "–" : String(r.rank), String(r.number), r.title]
        .concat(scale.map(function (l) { return String(r.counts[l.code] || 0); }), [r.score_text || "–"]), 2);
    });
    return el("section", { "aria-labelledby": "ranking-title", "class": "card" }, [
      el("h2", { id: "ranking-title", text: t("ranking_caption") }),
      state.score_rule ? el("p", { "class": "hint", text: state.score_rule }) : null,
      state.counted ? el("p", { "class": "hint", text: state.counted }) : null,
      scroller(t("ranking_caption"), table(t("ranking_caption"), heads, rows, { id: "ranking" })),
      chart()
    ]);
  }

  /* The chart repeats the ranking table, which is its text alternative. */
  function chart() {
    var ranked = state.ranking.filter(function (r) { return typeof r.score === "number"; });
    var max = Math.max.apply(null, ranked.map(function (r) { return r.score; }).concat([1]));
    var row = 18, width = 600;
    var bars = [S.svg("title", { id: "chart-title", text: t("chart") }), S.svg("desc", { id: "chart-desc", text: t("chart_desc") })];
    ranked.forEach(function (r, i) {
      var y = i * row;
      bars.push(S.svg("text", { x: "0", y: String(y + 13), "class": "chart-label", text: String(r.number) }));
      bars.push(S.svg("rect", { x: "40", y: String(y + 3), height: String(row - 6), width: String(Math.max(1, (width - 60) * r.score / max)), "class": "chart-bar" }));
    });
    return el("figure", { "class": "chart" }, [
      S.svg("svg", { role: "img", "aria-labelledby": "chart-title chart-desc", viewBox: "0 0 " + width + " " + Math.max(row, ranked.length * row), "class": "chart-svg" }, bars)
    ]);
  }

  function exportsSection() {
    var result = el("p", { id: "export-result", "class": "state" });
    return el("section", { "aria-labelledby": "exports-title", "class": "card" }, [
      el("h2", { id: "exports-title", text: t("exports") }),
      el("p", { "class": "buttons" }, state.exports.map(function (x) {
        return el("button", { type: "button", onclick: function () {
          S.api("POST", "api/secretariat/export", { kind: x.kind }).then(function (reply) {
            var text = reply.status < 300 ? t("export_sent", { text: reply.body.text }) : S.errorText(reply);
            result.textContent = text;
            S.announce(text);
          });
        }, text: x.label });
      })),
      result
    ]);
  }

  /* "2026-12-31T23:59" in the browser's zone, with its offset, as the API wants it. */
  function withOffset(local) {
    var date = new Date(local);
    if (isNaN(date.getTime())) { return null; }
    var minutes = -date.getTimezoneOffset(), sign = minutes >= 0 ? "+" : "-";
    var abs = Math.abs(minutes);
    function two(n) { return ("0" + n).slice(-2); }
    return local.length === 16 ? local + ":00" + sign + two(Math.floor(abs / 60)) + ":" + two(abs % 60) : null;
  }

  function actionsSection() {
    var result = el("p", { id: "action-result", "class": "state" });
    function report(text) { result.textContent = text; S.announce(text); }
    var input = el("input", { type: "datetime-local", id: "new-deadline" });
    return el("section", { "aria-labelledby": "actions-title", "class": "card" }, [
      el("h2", { id: "actions-title", text: t("actions") }),
      state.reminder ? el("p", { text: state.reminder.text }) : null,
      el("p", {}, [el("button", { type: "button", id: "remind", onclick: function () {
        S.confirmAction(t("remind_confirm")).then(function (ok) {
          if (!ok) { report(t("cancelled")); return; }
          S.api("POST", "api/secretariat/remind", { confirm: true }).then(function (reply) {
            report(reply.status === 200 ? t("done", { text: reply.body.text }) : S.errorText(reply));
          });
        });
      }, text: t("remind") })]),
      el("p", {}, [el("label", { "for": "new-deadline", text: t("new_deadline") }), " ", input, " ",
        el("button", { type: "button", id: "extend", onclick: function () {
          var at = withOffset(input.value);
          if (!at) { input.focus(); return; }
          S.confirmAction(t("extend_confirm", { date: input.value.replace("T", " ") })).then(function (ok) {
            if (!ok) { report(t("cancelled")); return; }
            S.api("POST", "api/secretariat/deadline", { at: at }).then(function (reply) {
              if (reply.status !== 200) { report(S.errorText(reply)); return; }
              state.deadline = reply.body.deadline;
              document.getElementById("deadline-text").textContent = state.deadline.text || t("no_deadline");
              report(t("done", { text: state.deadline.text }));
            });
          });
        }, text: t("extend") })]),
      result
    ]);
  }

  function render() {
    document.title = t("dashboard_title");
    var main = document.getElementById("main");
    main.textContent = "";
    main.appendChild(el("header", {}, [
      el("h1", { text: t("dashboard_title") }),
      el("dl", { "class": "facts" }, [
        el("dt", { text: t("deadline") }), el("dd", { id: "deadline-text", text: state.deadline.text || t("no_deadline") })
      ]),
      el("p", { id: "response-rate", text: state.response_rate.text }),
      S.languageSwitcher(state.languages, state.lang, function (lang) {
        S.api("POST", "api/language", { lang: lang }).then(function (reply) {
          if (reply.status !== 200) { S.announce(S.errorText(reply)); return; }
          load().then(function () { document.getElementById("language").focus(); });
        });
      })
    ]));
    main.appendChild(el("section", { "aria-labelledby": "funnel-title", "class": "card" }, [
      el("h2", { id: "funnel-title", text: t("funnel") }),
      table(t("funnel"), [t("stage"), t("count")], state.funnel.map(function (f) { return cells([f.label, String(f.count)], 0); }), { id: "funnel" })
    ]));
    main.appendChild(officesSection());
    fillOffices();
    main.appendChild(rankingSection());
    main.appendChild(exportsSection());
    main.appendChild(actionsSection());
  }

  S.start(load);
})();
