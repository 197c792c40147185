// The menu of base.html is a <details> element, so it opens and closes on a
// phone without this script. On a wide screen the navigation has room: this
// keeps it open there (and folds it again when the window narrows).
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48rem)");

  function fit() {
    document.querySelectorAll("[data-menu]").forEach(function (menu) {
      menu.open = wide.matches;
    });
  }

  fit();
  wide.addEventListener("change", fit);
  document.documentElement.classList.add("has-menu-script");
})();

// A region marked data-refresh="N" (an import in progress) is fetched again
// every N seconds and replaced, until the fresh page no longer marks it.
(function () {
  "use strict";
  document.querySelectorAll("[data-refresh][id]").forEach(function (region) {
    var delay = 1000 * (parseFloat(region.dataset.refresh) || 2);
    function poll() {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) return;
          region.innerHTML = fresh.innerHTML;
          if (fresh.hasAttribute("data-refresh")) { setTimeout(poll, delay); }
          else { region.removeAttribute("data-refresh"); }
        })
        .catch(function () { setTimeout(poll, delay * 2); });
    }
    setTimeout(poll, delay);
  });
})();
