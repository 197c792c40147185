// Cascading state → municipality selects, and a search box that finds a
// municipality by name regardless of accents.
//
// Progressive enhancement: without this script the form's two selects work on
// their own (the municipality list follows the state once the form is sent).
// The search box is a WAI-ARIA 1.2 combobox with a list popup: the input has
// role=combobox, aria-expanded, aria-controls and aria-activedescendant; the
// popup is a listbox of options. Down/Up move through the options (Down also
// opens the list), Home/End jump to the first/last one while the list is open,
// Enter chooses, Escape closes (or, closed, empties the box); a click chooses too.
(function () {
  "use strict";

  var spanish = document.documentElement.lang.indexOf("es") === 0;
  var TEXT = spanish
    ? {
        label: "Buscar municipio por nombre",
        list: "Municipios encontrados",
        none: "Ningún municipio se llama así.",
        found: function (n) { return n === 1 ? "1 municipio encontrado; elígelo con las flechas." : n + " municipios encontrados; elige uno con las flechas."; },
        chosen: function (name) { return "Elegiste " + name + "."; }
      }
    : {
        label: "Find a municipality by name",
        list: "Municipalities found",
        none: "No municipality has that name.",
        found: function (n) { return n === 1 ? "1 municipality found; choose it with the arrow keys." : n + " municipalities found; choose one with the arrow keys."; },
        chosen: function (name) { return "Chose " + name + "."; }
      };

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

  function combobox(stateSelect, muni) {
    var id = muni.id + "-search";
    var wrapper = document.createElement("div");
    wrapper.className = "place-search";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = TEXT.label;
    var input = document.createElement("input");
    input.type = "text";
    input.id = id;
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "-results");
    var list = document.createElement("ul");
    list.id = id + "-results";
    list.className = "place-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", TEXT.list);
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrapper.append(label, input, list, status);
    stateSelect.closest(".field").before(wrapper);

    var results = [];
    var active = -1;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!results.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function activate(index) {
      var all = options();
      if (!all.length) return;
      open();
      active = (index + all.length) % all.length;
      all.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var m = results[index];
      if (!m) return;
      var name = m.name + ", " + m.state;
      input.value = name;
      close();
      stateSelect.value = m.state_code;
      load(muni, m.state_code, m.code).then(function () {
        status.textContent = TEXT.chosen(name);
      });
    }

    function show(found) {
      results = found;
      list.innerHTML = "";
      found.forEach(function (m, i) {
        var li = document.createElement("li");
        li.id = id + "-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = m.name + ", " + m.state;
        // mousedown, not click: choosing must not first blur the input.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (found.length) { open(); } else { close(); }
      status.textContent = found.length ? TEXT.found(found.length) : TEXT.none;
    }

    var timer;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2) { show([]); status.textContent = ""; return; }
        fetch(muni.dataset.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { if (input.value.trim() === q) show(data.municipalities); });
      }, 200);
    });

    input.addEventListener("keydown", function (e) {
      var expanded = !list.hidden;
      switch (e.key) {
        case "ArrowDown":
          e.preventDefault();
          activate(expanded ? active + 1 : 0);
          break;
        case "ArrowUp":
          e.preventDefault();
          activate(expanded ? active - 1 : results.length - 1);
          break;
        case "Home":
          if (expanded && active >= 0) { e.preventDefault(); activate(0); }
          break;
        case "End":
          if (expanded && active >= 0) { e.preventDefault(); activate(results.length - 1); }
          break;
        case "Enter":
          // Never send the form from the search box: Enter chooses, or does nothing.
          e.preventDefault();
          if (expanded && active >= 0) choose(active);
          break;
        case "Escape":
          if (expanded) { e.preventDefault(); close(); }
          else if (input.value) { e.preventDefault(); input.value = ""; show([]); status.textContent = ""; }
          break;
      }
    });
    input.addEventListener("blur", close);
  }

  function enhance(stateSelect) {
    var form = stateSelect.form;
    var muni = form.querySelector("[data-place-municipality]");
    if (!muni) return;
    stateSelect.addEventListener("change", function () { load(muni, stateSelect.value, ""); });
    combobox(stateSelect, muni);
  }

  document.querySelectorAll("[data-place-state]").forEach(enhance);
})();
