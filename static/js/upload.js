// Training-set upload that forgives mistakes. The artist's chosen files are kept here, outside the
// form: choosing or dropping more adds to them, each shows as a thumbnail marked with what the browser
// can already judge (type, size, the short side) and can be removed, and when the server refuses the
// set, htmx swaps in a new form that marks the refused files by name (data-refused-file) while the
// rest stay chosen. The server stays the authority. The limits come from the form's data-min-files,
// data-max-files, data-max-bytes and data-min-side, which the template fills from StyleUploadForm.
// Without JavaScript the plain file input and the server's messages still work.
(function () {
  "use strict";
  var ACCEPTED = ["image/jpeg", "image/png"];
  // Django's JavaScript catalog (/jsi18n/, loaded before this file); the English text if it did not load.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };

  // The chosen files, in the order chosen: {file, key, url, element, browserProblem, serverProblem}.
  var chosen = [];

  // As core.images.megabytes writes sizes: "10 MB", "11.4 MB".
  function megabytes(size) {
    return interpolate(gettext("%(size)s MB"), { size: (size / 1048576).toFixed(1).replace(/\.0$/, "") }, true);
  }

  function limits(form) {
    return {
      min: Number(form.dataset.minFiles), max: Number(form.dataset.maxFiles),
      maxBytes: Number(form.dataset.maxBytes), minSide: Number(form.dataset.minSide)
    };
  }

  // What the browser can tell before reading any pixel (the same sentences as the server's).
  function firstLook(file, rules) {
    if (ACCEPTED.indexOf(file.type) === -1) {
      return interpolate(gettext("%(name)s is not a JPEG or PNG image."), { name: file.name }, true);
    }
    if (file.size > rules.maxBytes) {
      return interpolate(gettext("%(name)s is %(size)s; the limit is %(limit)s per image."),
                         { name: file.name, size: megabytes(file.size), limit: megabytes(rules.maxBytes) }, true);
    }
    return "";
  }

  function problemOf(entry) {
    return entry.browserProblem || entry.serverProblem || "";
  }

  function tile(entry, form) {
    var item = document.createElement("li");
    item.className = "upload-file";
    item.dataset.file = entry.file.name;
    var image = document.createElement("img");
    image.alt = "";
    image.width = 96;
    image.height = 96;
    var name = document.createElement("span");
    name.className = "upload-file-name";
    name.textContent = entry.file.name;
    var problem = document.createElement("small");
    problem.className = "upload-file-problem";
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary outline upload-file-remove";
    remove.textContent = gettext("Remove");
    remove.setAttribute("aria-label", interpolate(gettext("Remove %(name)s"), { name: entry.file.name }, true));
    remove.addEventListener("click", function () { removeEntry(entry, currentForm() || form); });
    item.append(image, name, problem, remove);
    if (!entry.browserProblem) {
      // Only an image the browser can read is previewed; its size is the last thing judged here.
      image.addEventListener("load", function () {
        var rules = limits(currentForm() || form);
        var side = Math.min(image.naturalWidth, image.naturalHeight);
        if (side < rules.minSide) {
          entry.browserProblem = interpolate(
            gettext("%(name)s is %(w)s × %(h)s pixels; the short side must be at least %(min)s px."),
            { name: entry.file.name, w: image.naturalWidth, h: image.naturalHeight, min: rules.minSide }, true);
          render(currentForm() || form);
        }
      });
      image.addEventListener("error", function () {
        entry.browserProblem = interpolate(gettext("%(name)s is not an image Atelier can read."),
                                           { name: entry.file.name }, true);
        render(currentForm() || form);
      });
      entry.url = URL.createObjectURL(entry.file);
      image.src = entry.url;
    }
    return item;
  }

  function currentForm() {
    return document.querySelector("form[data-upload-check]");
  }

  function add(form, files) {
    var rules = limits(form);
    Array.prototype.forEach.call(files, function (file) {
      var key = [file.name, file.size, file.lastModified].join("/");
      if (chosen.some(function (entry) { return entry.key === key; })) return;  // the same file again
      var entry = { file: file, key: key, url: null, browserProblem: firstLook(file, rules), serverProblem: "" };
      entry.element = tile(entry, form);
      chosen.push(entry);
    });
    render(form);
  }

  function removeEntry(entry, form) {
    chosen.splice(chosen.indexOf(entry), 1);
    if (entry.url) URL.revokeObjectURL(entry.url);
    render(form);
    var next = form.querySelector("[data-upload-grid] button") || form.querySelector("input[type=file]");
    if (next) next.focus();  // focus stays in the set rather than falling back to the page's start
  }

  // The file input holds exactly the chosen files, so htmx (and a plain submit) send those.
  function syncInput(form) {
    var input = form.querySelector("input[type=file]");
    var transfer = new DataTransfer();
    chosen.forEach(function (entry) { transfer.items.add(entry.file); });
    input.files = transfer.files;
  }

  function setProblems(form) {
    var rules = limits(form);
    var problems = [];
    if (chosen.length < rules.min || chosen.length > rules.max) {
      problems.push(interpolate(gettext("A training set needs %(min)s to %(max)s images; you chose %(count)s."),
                                { min: rules.min, max: rules.max, count: chosen.length }, true));
    }
    chosen.forEach(function (entry) {
      if (problemOf(entry)) problems.push(problemOf(entry));
    });
    return problems;
  }

  function render(form) {
    syncInput(form);
    var grid = form.querySelector("[data-upload-grid]");
    grid.hidden = chosen.length === 0;
    grid.replaceChildren.apply(grid, chosen.map(function (entry) {
      var problem = problemOf(entry);
      entry.element.classList.toggle("is-refused", Boolean(problem));
      entry.element.querySelector(".upload-file-problem").textContent = problem;
      return entry.element;
    }));
    var problems = setProblems(form);
    var list = form.querySelector("[data-upload-errors]");
    list.replaceChildren.apply(list, problems.map(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    var total = chosen.reduce(function (sum, entry) { return sum + entry.file.size; }, 0);
    form.querySelector("[data-upload-summary]").textContent = chosen.length
      ? interpolate(ngettext("%(count)s image, %(size)s MB", "%(count)s images, %(size)s MB", chosen.length),
                    { count: chosen.length, size: (total / 1048576).toFixed(1) }, true)
      : "";
    return problems.length === 0;
  }

  // A fresh form (the page, or the one htmx swapped in after a refusal): offer dropping, put the kept
  // files back and mark the ones the server named.
  function setUp(form) {
    form.querySelector("[data-upload-drop-hint]").hidden = false;
    if (!chosen.length) return;
    var refused = {};
    form.querySelectorAll("[data-refused-file]").forEach(function (item) {
      refused[item.dataset.refusedFile] = item.textContent;
    });
    chosen.forEach(function (entry) { entry.serverProblem = refused[entry.file.name] || ""; });
    var kept = form.querySelector("[data-upload-kept]");
    if (kept) kept.hidden = false;
    render(form);
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-upload-check]");
    if (form && event.target.matches("input[type=file]")) add(form, event.target.files);
  });

  // Dropping anywhere on the drop area adds the files; elsewhere on the page a dropped file is ignored
  // rather than opened in place of the form (which would lose everything typed).
  function carriesFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1;
  }

  document.addEventListener("dragover", function (event) {
    if (!carriesFiles(event)) return;  // dragging text into a field stays as the browser does it
    event.preventDefault();
    var area = event.target.closest && event.target.closest("[data-upload-drop]");
    event.dataTransfer.dropEffect = area ? "copy" : "none";
    document.querySelectorAll("[data-upload-drop]").forEach(function (zone) {
      zone.classList.toggle("is-dragging", zone === area);
    });
  });
  document.addEventListener("dragleave", function (event) {
    if (event.target.matches && event.target.matches("[data-upload-drop]")) event.target.classList.remove("is-dragging");
  });
  document.addEventListener("drop", function (event) {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    var area = event.target.closest && event.target.closest("[data-upload-drop]");
    if (!area) return;
    area.classList.remove("is-dragging");
    add(area.closest("form[data-upload-check]"), event.dataTransfer.files);
  });

  // Only the form's own request: the tag field inside it asks htmx for suggestions too, and that request
  // must neither be checked for images nor show the progress bar (nor mark the button busy, which Pico
  // makes unclickable).
  function uploadForm(event) {
    return event.target.matches && event.target.matches("form[data-upload-check]") ? event.target : null;
  }

  document.addEventListener("htmx:confirm", function (event) {
    var form = uploadForm(event);
    if (form && !render(form)) event.preventDefault();
  });

  document.addEventListener("htmx:load", function (event) {
    var form = uploadForm(event);
    if (form) setUp(form);
  });

  document.addEventListener("htmx:xhr:loadstart", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    var bar = form.querySelector("[data-upload-progress]");
    bar.hidden = false;
    bar.value = 0;
    form.querySelector("[data-upload-status]").textContent = "";
    form.querySelector("[data-upload-submit]").setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    if (!form || !event.detail.lengthComputable) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    form.querySelector("[data-upload-progress]").value = percent;
    if (percent === 100) {
      // Sent: what is left is the server's own check of every image, which can take a while for a big set.
      form.querySelector("[data-upload-status]").textContent = interpolate(
        ngettext("Uploaded. Checking %(count)s image…", "Uploaded. Checking %(count)s images…", chosen.length),
        { count: chosen.length }, true);
    }
  });

  var form = currentForm();
  if (form) setUp(form);
})();
