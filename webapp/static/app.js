/* The representative's page: every Recommendation of the Office's draft on one page. */
"use strict";
(function () {
  var S = Survey, t = S.t, el = S.el;
  var state = null;       // GET api/me's reply
  var items = {};         // number -> {fieldset, radios, comment, status, ...}

  function load(lang) {
    return S.api("GET", "api/me" + (lang ? "?lang=" + encodeURIComponent(lang) : "")).then(function (reply) {
      if (reply.status !== 200) { S.refusal(S.errorText(reply)); return; }
      state = reply.body;
      S.setTexts(state.lang, state.texts);
      render();
    });
  }

  function answered(number) {
    var answer = state.answers[String(number)];
    return !!(answer && answer.level);
  }

  function locked() { return state.read_only || state.submitted || state.deadline.closed; }

  function header() {
    var q = state.questionnaire;
    document.title = q.title;
    var progress = el("p", { id: "progress", "class": "progress" }, [
      el("span", { id: "progress-text", text: state.progress.text }), " ",
      el("progress", { id: "progress-bar", max: String(state.progress.total), value: String(state.progress.answered), "aria-hidden": "true" })
    ]);
    return el("header", {}, [
      el("h1", { text: q.title }),
      el("dl", { "class": "facts" }, [
        el("dt", { text: t("office") }), el("dd", { text: state.office.name }),
        el("dt", { text: t("deadline") }), el("dd", { text: state.deadline.text || t("no_deadline") }),
        el("dt", { text: t("progress") }), el("dd", {}, [progress])
      ]),
      state.deadline.closed ? el("p", { "class": "note", text: t("closed") }) : null,
      S.languageSwitcher(state.languages, state.lang, changeLanguage)
    ]);
  }

  function changeLanguage(lang) {
    S.api("POST", "api/language", { lang: lang }).then(function (reply) {
      if (reply.status !== 200) { S.announce(S.errorText(reply)); return; }
      load().then(function () { document.getElementById("language").focus(); });
    });
  }

  function noticeSection() {
    var notice = state.notice;
    if (!notice.required || locked()) { return null; }
    var children = [el("h2", { id: "notice-title", text: t("notice_title") })];
    notice.paragraphs.forEach(function (p) { children.push(el("p", { text: p })); });
    if (notice.url) { children.push(el("p", {}, [el("a", { href: notice.url, target: "_blank", rel: "noopener", text: t("notice_more") })])); }
    children.push(el("button", { type: "button", id: "notice-ok", "class": "primary", onclick: acknowledge, text: t("notice_ok") }));
    return el("section", { id: "notice", "class": "card notice", "aria-labelledby": "notice-title" }, children);
  }

  function acknowledge() {
    S.api("POST", "api/notice", { version: state.notice.version }).then(function (reply) {
      if (reply.status !== 200) { S.announce(S.errorText(reply)); if (reply.body.notice) { state.notice = reply.body.notice; render(); } return; }
      state.notice = reply.body.notice;
      render();
      var first = document.querySelector("#recommendations input");
      if (first) { first.focus(); }
    });
  }

  function setStatus(number, text, kind) {
    var node = items[number].status;
    node.textContent = text;
    node.className = "state " + (kind || "");
  }

  function describe(number) {
    var answer = state.answers[String(number)] || {};
    var words = answer.level ? t("answered") : t("unanswered");
    if (answer.changed_by) { words += " · " + t("changed_by", { name: answer.changed_by }); }
    return words;
  }

  function show(number) {
    var answer = state.answers[String(number)] || {};
    var item = items[number];
    item.radios.forEach(function (radio) { radio.checked = radio.value === answer.level; });
    item.comment.value = answer.comment || "";
    count(number);
    item.fieldset.setAttribute("data-answered", answer.level ? "yes" : "no");
  }

  function count(number) {
    var item = items[number];
    item.counter.textContent = t("characters", { count: item.comment.value.length, limit: state.comment_limit });
  }

  /* One write at a time per Recommendation, so that each carries the stamp the last one got. */
  function save(number, change) {
    var item = items[number];
    item.queue = item.queue.then(function () { return write(number, change); });
    return item.queue;
  }

  function write(number, change) {
    if (change.comment !== undefined && change.comment === ((state.answers[String(number)] || {}).comment || "")) {
      return Promise.resolve();
    }
    var answer = state.answers[String(number)] || {};
    var body = { number: number, expected: answer.stamp || null };
    Object.keys(change).forEach(function (key) { body[key] = change[key]; });
    setStatus(number, t("saving"), "busy");
    return S.api("POST", "api/answer", body).then(function (reply) {
      if (reply.status === 200) {
        state.answers[String(number)] = reply.body.answer;
        state.progress = reply.body.progress;
        updateProgress();
        setStatus(number, t("saved"), "ok");
        S.announce(t("saved_number", { number: number }));
      } else if (reply.body.error && reply.body.error.code === "changed" && reply.body.current) {
        state.answers[String(number)] = reply.body.current;
        show(number);
        setStatus(number, t("changed"), "error");
        S.announce(t("recommendation", { number: number }) + ": " + t("changed"));
      } else {
        show(number);
        var message = t("not_saved", { message: S.errorText(reply) });
        setStatus(number, message, "error");
        S.announce(t("recommendation", { number: number }) + ": " + message);
      }
      items[number].fieldset.setAttribute("data-answered", answered(number) ? "yes" : "no");
      review();
    });
  }

  function saveComment(number) {
    save(number, { comment: items[number].comment.value });
  }

  function confirmWording(number) {
    S.api("POST", "api/confirm", { number: number }).then(function (reply) {
      if (reply.status !== 200) { setStatus(number, S.errorText(reply), "error"); S.announce(S.errorText(reply)); return; }
      state.answers[String(number)] = reply.body.answer;
      state.progress = reply.body.progress;
      var mark = items[number].mark;
      if (mark) { mark.remove(); }
      updateProgress();
      S.announce(t("wording_confirmed", { number: number }));
      items[number].radios[0].focus();
    });
  }

  function recommendation(rec) {
    var number = rec.number, id = "rec-" + number;
    var answer = state.answers[String(number)] || {};
    var radios = [];
    var levels = state.questionnaire.scale.map(function (level) {
      var input = el("input", { type: "radio", name: id + "-level", id: id + "-" + level.code, value: level.code,
        onchange: function () { save(number, { level: level.code }); } });
      radios.push(input);
      return el("span", { "class": "choice" }, [input, el("label", { "for": input.id, text: level.label })]);
    });
    var comment = el("textarea", { id: id + "-comment", rows: "2", maxlength: String(state.comment_limit),
      "aria-describedby": id + "-count",
      oninput: function () { count(number); }, onblur: function () { saveComment(number); } });
    var counter = el("p", { id: id + "-count", "class": "hint" });
    var status = el("p", { id: id + "-state", "class": "state" });
    var mark = null, updated = answer.wording_updated || rec.wording_updated;
    if (updated && answer.level) {
      mark = el("p", { "class": "mark" }, [
        el("span", { text: t("wording_updated", { date: updated }) }), " ",
        el("button", { type: "button", onclick: function () { confirmWording(number); }, text: t("wording_confirm") })
      ]);
    }
    var fieldset = el("fieldset", { id: id, "class": "card rec", "aria-describedby": id + "-state" }, [
      el("legend", {}, [el("span", { "class": "number", text: t("recommendation", { number: number }) }), " ", el("span", { text: rec.title })]),
      el("details", {}, [el("summary", { text: t("statement") }), el("p", { text: rec.statement })]),
      mark,
      el("div", { "class": "levels", role: "group", "aria-label": t("level") }, levels),
      el("label", { "for": comment.id, "class": "comment-label", text: t("comment") }),
      comment, counter,
      el("button", { type: "button", "class": "save", onclick: function () { saveComment(number); }, text: t("save_comment") }),
      status
    ]);
    items[number] = { fieldset: fieldset, radios: radios, comment: comment, counter: counter, status: status, mark: mark, queue: Promise.resolve() };
    return fieldset;
  }

  function updateProgress() {
    var text = document.getElementById("progress-text");
    text.textContent = state.progress.text;
    var bar = document.getElementById("progress-bar");
    bar.value = state.progress.answered;
    bar.max = state.progress.total;
  }

  function missing() {
    return state.questionnaire.recommendations.filter(function (rec) { return !answered(rec.number); })
      .map(function (rec) { return rec.number; });
  }

  function review() {
    var node = document.getElementById("review-text");
    if (!node) { return; }
    var left = missing();
    node.textContent = left.length ? t("review_missing", { numbers: left.join(", ") }) : t("all_answered");
    filter();
  }

  function filter() {
    var box = document.getElementById("unanswered");
    if (!box) { return; }
    Object.keys(items).forEach(function (number) {
      items[number].fieldset.hidden = box.checked && answered(number) && !items[number].fieldset.contains(document.activeElement);
    });
  }

  function submit() {
    S.confirmAction(t("submit_confirm", { office: state.office.name })).then(function (ok) {
      if (!ok) { return; }
      var button = document.getElementById("submit");
      button.disabled = true;
      S.announce(t("submitting"));
      S.api("POST", "api/submit", {}).then(function (reply) {
        if (reply.status !== 200) {
          button.disabled = false;
          document.getElementById("submit-state").textContent = S.errorText(reply);
          S.announce(S.errorText(reply));
          return;
        }
        load().then(function () {
          var receipt = document.getElementById("receipt");
          if (receipt) { receipt.focus(); }
          S.announce(t("receipt_title") + ": " + reply.body.receipt.reference);
        });
      });
    });
  }

  function receiptSection() {
    if (!state.receipt) { return null; }
    return el("section", { id: "receipt", "class": "card receipt", tabindex: "-1", "aria-labelledby": "receipt-title" }, [
      el("h2", { id: "receipt-title", text: t("receipt_title") }),
      el("p", { "class": "receipt-text", text: state.receipt.text })
    ]);
  }

  function render() {
    var main = document.getElementById("main");
    main.textContent = "";
    items = {};
    main.appendChild(header());
    var receipt = receiptSection();
    if (receipt) { main.appendChild(receipt); }
    if (locked()) { main.appendChild(el("p", { "class": "note", text: t("read_only") })); }
    var notice = noticeSection();
    if (notice) { main.appendChild(notice); }
    if (!locked()) {
      main.appendChild(el("p", { "class": "filter" }, [
        el("input", { type: "checkbox", id: "unanswered", onchange: filter }), " ",
        el("label", { "for": "unanswered", text: t("filter_unanswered") })
      ]));
    }
    var list = el("div", { id: "recommendations" }, state.questionnaire.recommendations.map(recommendation));
    main.appendChild(list);
    Object.keys(items).forEach(function (number) {
      show(Number(number));
      setStatus(Number(number), describe(Number(number)), "");
      items[number].fieldset.disabled = locked() || !!notice;
    });
    if (!locked()) {
      main.appendChild(el("section", { id: "review", "class": "card", "aria-labelledby": "review-title" }, [
        el("h2", { id: "review-title", text: t("review_title") }),
        el("p", { id: "review-text" }),
        el("button", { type: "button", id: "submit", "class": "primary", onclick: submit, disabled: !!notice, text: t("submit") }),
        el("p", { id: "submit-state", "class": "state error" })
      ]));
      review();
    }
  }

  S.start(load);
})();
