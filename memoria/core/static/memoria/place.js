// Cascading state → municipality selects, and a search box that finds a
// municipality by name regardless of accents. Progressive enhancement: the
// form works without this script.
(function () {
  "use strict";

  function option(value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    return o;
  }

  function refill(select, municipalities, chosen) {
    var empty = select.querySelector("option[value='']");
    select.innerHTML = "";
    if (empty) select.appendChild(empty);
    municipalities.forEach(function (m) {
      var o = option(m.code, m.name);
      if (m.code === chosen) o.selected = true;
      select.appendChild(o);
    });
  }

  function load(select, stateCode, chosen) {
    if (!stateCode) { refill(select, [], ""); return Promise.resolve(); }
    var url = select.dataset.urlTemplate.replace("/00/", "/" + stateCode + "/");
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { refill(select, data.municipalities, chosen); });
  }

  function enhance(stateSelect) {
    var form = stateSelect.form;
    var muni = form.querySelector("[data-place-municipality]");
    if (!muni) return;
    stateSelect.addEventListener("change", function () { load(muni, stateSelect.value, ""); });

    var wrapper = document.createElement("div");
    wrapper.className = "place-search";
    var label = document.createElement("label");
    var id = muni.id + "-search";
    label.htmlFor = id;
    label.textContent = document.documentElement.lang.indexOf("es") === 0
      ? "Buscar municipio por nombre" : "Find a municipality by name";
    var input = document.createElement("input");
    input.type = "search"; input.id = id; input.autocomplete = "off";
    input.setAttribute("aria-controls", id + "-results");
    var list = document.createElement("ul");
    list.id = id + "-results"; list.className = "place-results"; list.setAttribute("role", "listbox");
    wrapper.append(label, input, list);
    stateSelect.closest(".field").before(wrapper);

    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        list.innerHTML = "";
        if (q.length < 2) return;
        fetch(muni.dataset.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            list.innerHTML = "";
            data.municipalities.forEach(function (m) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.textContent = m.name + ", " + m.state;
              b.addEventListener("click", function () {
                stateSelect.value = m.state_code;
                load(muni, m.state_code, m.code).then(function () { muni.focus(); });
                list.innerHTML = ""; input.value = "";
              });
              li.appendChild(b); list.appendChild(li);
            });
          });
      }, 200);
    });
  }

  document.querySelectorAll("[data-place-state]").forEach(enhance);
})();
