// While a person's name is typed, show the people already recorded who may be
// the same person (memoria.cases.views.person_matches). Progressive
// enhancement: without this script the form asks the same on saving.
// The name travels in the body of a POST, never in an address, so it stays
// out of server logs; the answer is HTML the server rendered and escaped.
(function () {
  "use strict";

  var FIELDS = [
    "given_names", "paternal_surname", "maternal_surname", "curp",
    "birth_year", "birth_month", "birth_day"
  ];
  var WAIT_MS = 400;

  function values(form) {
    return FIELDS.map(function (name) {
      var field = form.elements[name];
      return field ? field.value.trim() : "";
    });
  }

  function body(form, typed) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    FIELDS.forEach(function (name, i) { data.append(name, typed[i]); });
    if (form.dataset.exclude) data.append("exclude", form.dataset.exclude);
    if (form.dataset.choose) data.append("choose", "on");
    return data;
  }

  function enhance(form) {
    var region = form.querySelector("[data-matches-region]");
    var name = form.elements.given_names;
    if (!region || !name) return;
    // Beside the name, where the documenter is looking, unless it already holds the
    // matches the server found on saving.
    var fieldset = name.closest("fieldset");
    if (fieldset && !region.children.length) fieldset.after(region);
    var timer = null;
    var asked = values(form).join("\u0000");

    function lookUp() {
      var typed = values(form);
      var key = typed.join("\u0000");
      if (key === asked) return;
      asked = key;
      fetch(form.dataset.personMatches, {
        method: "POST",
        body: body(form, typed),
        credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (key === asked) region.innerHTML = html;
        })
        .catch(function () { /* the form still asks on saving */ });
    }

    FIELDS.forEach(function (fieldName) {
      var field = form.elements[fieldName];
      if (!field) return;
      field.addEventListener(field.tagName === "SELECT" ? "change" : "input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(lookUp, WAIT_MS);
      });
    });
  }

  document.querySelectorAll("form[data-person-matches]").forEach(enhance);
})();
