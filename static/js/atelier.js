// Behaviour every page shares, kept out of the templates so the Content-Security-Policy needs no
// 'unsafe-inline' and no 'unsafe-eval' (config/settings.py, "Content-Security-Policy").
(function () {
  "use strict";

  // Django's CSRF cookie (CSRF_COOKIE_NAME's default; CSRF_COOKIE_HTTPONLY is off so that this script may read it).
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    // Every htmx request carries the token from the cookie, so the pages themselves hold no per-visitor token
    // and can be cached whole for anonymous visitors (marketplace/core/pagecache.py).
    var token = csrfToken();
    if (token) event.detail.headers["X-CSRFToken"] = token;
    // Forms marked data-drop-empty leave empty fields out of the URL they push (the catalog, the feed).
    if (elt.matches("form[data-drop-empty]")) {
      Array.from(event.detail.formData.entries()).forEach(function (entry) {
        if (entry[1] === "") event.detail.formData.delete(entry[0]);
      });
    }
    // A tag input asks for suggestions with its whole text as `q`, whatever its own name
    // (styles.filters.TAG_SUGGEST_ATTRS, the tags page); so does the catalog's artist input (ARTIST_SUGGEST_ATTRS).
    if (elt.matches("input[data-suggest-tags], input[data-suggest-artists]")) {
      event.detail.parameters.q = elt.value;
    }
  });

  // A rate-limit notice (templates/429.html) goes away once its wait is over: the person may try again.
  document.addEventListener("htmx:afterSettle", function (event) {
    event.detail.elt.querySelectorAll("[data-clear-after]").forEach(function (notice) {
      var seconds = parseInt(notice.dataset.clearAfter, 10);
      if (seconds > 0) {
        setTimeout(function () { notice.remove(); }, seconds * 1000);
      }
    });
  });

  // The catalog's "More filters" (templates/styles/catalog.html) is a bottom sheet on a phone: the results
  // update behind it as filters change; "Show results", the backdrop or Escape close it, and focus goes back to
  // its summary. The server opens the panel while a filter applies, which suits a desktop; on a phone the chips
  // above the results say that instead, so the sheet starts closed. Without this script it stays a fold-out.
  var sheet = document.querySelector("details.catalog-more");
  if (sheet) {
    var phone = window.matchMedia("(max-width: 767px)");
    var summary = sheet.querySelector("summary");
    var closeSheet = function () {
      sheet.open = false;
      summary.focus();
    };
    document.documentElement.classList.add("has-filter-sheet");
    sheet.querySelectorAll("[data-sheet-close]").forEach(function (element) {
      element.hidden = false;
      element.addEventListener("click", closeSheet);
    });
    if (phone.matches) sheet.open = false;
    sheet.addEventListener("toggle", function () {
      document.documentElement.classList.toggle("sheet-open", sheet.open && phone.matches);
      if (sheet.open && phone.matches) sheet.querySelector(".catalog-sheet").focus();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && sheet.open && phone.matches) closeSheet();
    });
  }

  // The catalog's chips and sortable table headers are links inside #style-list that change the filters or the
  // order without the form: after one, the form is set from the link's URL, so that the form's next change does
  // not bring back a filter that was removed or the order that was left.
  var filters = document.getElementById("catalog-filters");
  if (filters) {
    var followed = null;  // the query of the link whose list is on its way
    document.addEventListener("htmx:beforeRequest", function (event) {
      var link = event.detail.elt;
      followed = link.matches("#style-list a[hx-get]")
        ? new URL(link.getAttribute("hx-get"), window.location.href).searchParams : null;
    });
    document.addEventListener("htmx:afterSettle", function (event) {
      if (!followed || event.detail.target.id !== "style-list") return;
      var params = followed, groupsSeen = {};
      followed = null;
      Array.from(filters.elements).forEach(function (field) {
        if (!field.name) return;
        var values = params.getAll(field.name);
        if (field.type === "checkbox") {
          field.checked = values.indexOf(field.value) !== -1;
        } else if (field.type === "radio") {
          // An absent choice is the group's first (the grid view).
          field.checked = values.length ? values.indexOf(field.value) !== -1 : !groupsSeen[field.name];
          groupsSeen[field.name] = true;
        } else if (field.tagName === "SELECT") {
          field.value = values.length ? values[0] : field.options[0].value;
        } else if (field.type !== "submit" && field.type !== "button") {
          field.value = values.length ? values[0] : "";
        }
      });
    });
  }

  // The phone header's Menu button (templates/base.html): a disclosure for #site-menu. Shown only when this
  // script runs, so that without it the links stay visible; Escape closes it and gives focus back to the button.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    };
    toggle.hidden = false;
    document.documentElement.classList.add("has-menu-toggle");
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
})();
