/// `/assets/app.js`: the applicant page's behaviour. It holds no identity rules and no rejection
/// texts: fields are checked by `POST /v1/validate`, texts come from `GET /v1/reasons`, and the only
/// thing it does to input itself is `FormCheck.Tidying` (trim, upper-case a final x of a number).
/// All output goes through `textContent`, never markup.
let appScript = #"""
"use strict";
(function () {
  var main = document.getElementById("main");
  if (!main) { return; }
  var lang = main.getAttribute("data-lang") || "zh";
  var texts = document.getElementById("texts").dataset;
  var reasons = null;
  var countdownTimer = null;

  // The reason texts, in the page's language, from the server.
  fetch("/v1/reasons?lang=" + encodeURIComponent(lang), { headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (table) { reasons = table && table.reasons; })
    .catch(function () { reasons = null; });

  function kindOf(field) {
    if (field === "resident_id" || field === "operator.resident_id") { return "resident_id"; }
    if (field === "credit_code" || field === "organization_code") { return field; }
    return "application";
  }

  // What is wrong and what to do, from the server's table; the API's own message otherwise.
  function explanation(field, reason, fallback) {
    var kinds = [kindOf(field), "application"];
    for (var i = 0; reasons && i < kinds.length; i++) {
      var group = reasons[kinds[i]];
      if (group && group[reason]) { return group[reason]; }
    }
    return { message: fallback || reason || "", advice: "" };
  }

  // FormCheck.Tidying: surrounding blanks go; a final lower-case x of a number becomes X.
  function tidy(input) {
    var value = input.value.trim();
    if (input.dataset.number === "true" && value.slice(-1) === "x") { value = value.slice(0, -1) + "X"; }
    return value;
  }

  function errorLine(input) { return document.getElementById(input.id + "-error"); }

  function showProblem(input, text) {
    errorLine(input).textContent = text;
    if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  function postJSON(path, body) {
    return fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body), credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      return response.json().then(function (json) { return { status: response.status, body: json }; });
    });
  }

  // The JSON of one form, as POST /v1/applications and POST /v1/validate take it.
  function formBody(form, only) {
    var body = {};
    Array.prototype.forEach.call(form.querySelectorAll("input[data-field]"), function (input) {
      var name = input.dataset.field;
      if (only && only.indexOf(name) < 0) { return; }
      var value = tidy(input);
      if (value === "" && !input.required) { return; }
      if (name.indexOf("operator.") === 0) {
        body.operator = body.operator || {};
        body.operator[name.slice(9)] = value;
      } else {
        body[name] = value;
      }
    });
    return body;
  }

  function inputFor(form, field) { return form.querySelector("input[data-field=\"" + field + "\"]"); }

  // Checks the named fields with the server and shows (or clears) each one's problem.
  function check(form, names) {
    var body = formBody(form, names);
    delete body.site;
    if (Object.keys(body).length === 0) { return Promise.resolve(); }
    return postJSON("/v1/validate", body).then(function (answer) {
      if (answer.status !== 200 || !answer.body.fields) { return; }
      Object.keys(answer.body.fields).forEach(function (field) {
        var input = inputFor(form, field);
        if (!input) { return; }
        var verdict = answer.body.fields[field];
        if (verdict.reason) {
          var text = explanation(field, verdict.reason, verdict.message);
          showProblem(input, text.message + (text.advice ? " " + text.advice : ""));
        } else {
          showProblem(input, "");
        }
      });
    }).catch(function () { /* the submit will tell */ });
  }

  var fullLength = { "resident_id": 18, "operator.resident_id": 18, "credit_code": 18, "organization_code": 9 };

  function related(field) {
    return (field === "credit_code" || field === "organization_code") ? ["credit_code", "organization_code"] : [field];
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.apply"), function (form) {
    Array.prototype.forEach.call(form.querySelectorAll("input[data-field]"), function (input) {
      var field = input.dataset.field;
      if (field === "site") { return; }
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        var shown = input.getAttribute("aria-invalid") === "true";
        var complete = fullLength[field] && tidy(input).length >= fullLength[field];
        if (!shown && !complete) { return; }
        timer = setTimeout(function () { check(form, related(field)); }, 350);
      });
      input.addEventListener("change", function () {
        input.value = tidy(input);
        if (input.value === "" && !input.required) { showProblem(input, ""); return; }
        check(form, related(field));
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(form);
    });
  });

  // Tabs: click, or arrow keys between them (WAI-ARIA tabs pattern).
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function select(tab) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
    });
    clearResult();
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () { select(tab); });
    tab.addEventListener("keydown", function (event) {
      var next = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!next) { return; }
      var target = tabs[(index + next + tabs.length) % tabs.length];
      select(target);
      target.focus();
    });
  });

  var result = document.getElementById("result");

  function clearResult() {
    if (countdownTimer) { clearInterval(countdownTimer); countdownTimer = null; }
    result.textContent = "";
  }

  function show(templateID) {
    clearResult();
    var panel = document.getElementById(templateID).content.firstElementChild.cloneNode(true);
    result.appendChild(panel);
    return panel;
  }

  function countdown(element, expiresAt) {
    var end = Date.parse(expiresAt);
    function tick() {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      if (left === 0) {
        element.textContent = element.dataset.expired;
        if (countdownTimer) { clearInterval(countdownTimer); countdownTimer = null; }
        return;
      }
      var hours = Math.floor(left / 3600), minutes = Math.floor(left % 3600 / 60), seconds = left % 60;
      function two(n) { return (n < 10 ? "0" : "") + n; }
      element.textContent = (hours > 0 ? hours + ":" : "") + two(minutes) + ":" + two(seconds);
    }
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function labelText(form, field) {
    var input = field && inputFor(form, field);
    var label = input && document.querySelector("label[for=\"" + input.id + "\"]");
    return label ? label.textContent : field;
  }

  function showApproved(resource) {
    var panel = show("tpl-approved");
    var token = panel.querySelector(".token");
    token.value = resource.token || "";
    countdown(panel.querySelector(".countdown"), resource.expires_at);
    var status = panel.querySelector(".copied");
    panel.querySelector(".copy").addEventListener("click", function () {
      function done() { status.textContent = status.dataset.done; }
      function byHand() {
        token.focus();
        token.select();
        try { if (document.execCommand("copy")) { done(); return; } } catch (e) { /* fall through */ }
        status.textContent = status.dataset.failed;
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(token.value).then(done, byHand);
      } else {
        byHand();
      }
    });
    result.focus();
  }

  function showRejected(form, resource) {
    var panel = show("tpl-rejected");
    var text = explanation(resource.field, resource.reason, resource.message);
    panel.querySelector(".message").textContent = text.message;
    panel.querySelector(".advice").textContent = text.advice;
    panel.querySelector(".code code").textContent = resource.reason || "";
    if (resource.field) {
      panel.querySelector(".where").hidden = false;
      panel.querySelector(".field-name").textContent = labelText(form, resource.field);
      // A registry mismatch is about the name and number together: point at it, do not mark it wrong.
      var input = inputFor(form, resource.field);
      if (input && !text.registry_mismatch) { showProblem(input, text.message); }
    }
    result.focus();
  }

  function showError(message) {
    var panel = show("tpl-error");
    panel.querySelector(".message").textContent = message;
    result.focus();
  }

  // The possession-code step (`status: pending_possession`): the code goes to
  // POST /v1/applications/{id}/confirm, whose answer is the same application resource.
  function showPossession(form, resource, problem) {
    var panel = show("tpl-possession");
    var possession = resource.possession || {};
    panel.querySelector(".destination").textContent = possession.destination || "";
    if (possession.expires_at) { countdown(panel.querySelector(".countdown"), possession.expires_at); }
    var attempts = panel.querySelector("#possession-attempts");
    if (typeof possession.attempts_left === "number") {
      attempts.textContent = attempts.dataset.template.replace("{n}", String(possession.attempts_left));
    }
    var code = panel.querySelector("#possession-code");
    if (problem) { showProblem(code, problem); }
    panel.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var value = code.value.trim();
      if (!/^[0-9]{6}$/.test(value)) { showProblem(code, texts.codeSix); code.focus(); return; }
      postJSON("/v1/applications/" + encodeURIComponent(resource.application_id) + "/confirm", { code: value })
        .then(function (answer) { handle(form, answer, true); })
        .catch(function () { showProblem(code, texts.network); });
    });
    code.focus();
  }

  function handle(form, answer, confirming) {
    var body = answer.body || {};
    if (answer.status === 200 || answer.status === 201) {
      if (body.status === "approved") { showApproved(body); return; }
      if (body.status === "pending_possession") {
        var problem = null;
        if (confirming && body.reason) {
          var text = explanation("code", body.reason, body.message);
          problem = text.message + (text.advice ? " " + text.advice : "");
        }
        showPossession(form, body, problem);
        return;
      }
      showRejected(form, body);
      return;
    }
    if (body.field) {
      var input = inputFor(form, body.field);
      if (input) { showProblem(input, body.message); input.focus(); }
    }
    showError(body.message || texts.network);
  }

  function submit(form) {
    // Fields the browser can judge without rules: required ones left empty.
    var missing = null;
    Array.prototype.forEach.call(form.querySelectorAll("input[data-field]"), function (input) {
      input.value = tidy(input);
      if (input.required && input.value === "") {
        showProblem(input, texts.missing);
        missing = missing || input;
      }
    });
    if (form.dataset.subject === "organization") {
      var credit = inputFor(form, "credit_code"), organization = inputFor(form, "organization_code");
      if (credit.value === "" && organization.value === "") {
        showProblem(credit, texts.oneCode);
        missing = missing || credit;
      }
    }
    if (missing) { missing.focus(); return; }
    var body = formBody(form);
    body.subject_type = form.dataset.subject;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.textContent = texts.sending;
    postJSON("/v1/applications", body)
      .then(function (answer) { handle(form, answer, false); })
      .catch(function () { showError(texts.network); })
      .then(function () { button.disabled = false; });
  }
})();
"""#
