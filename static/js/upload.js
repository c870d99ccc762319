// Training-set upload: a quick check before sending (the server stays the
// authority) and a progress bar fed by htmx's upload progress events. The
// limits come from the form's data-min-files, data-max-files and
// data-max-bytes, which the template fills from StyleUploadForm.
(function () {
  "use strict";
  var ACCEPTED = ["image/jpeg", "image/png"];
  // Django's JavaScript catalog (/jsi18n/, loaded before this file); the English text if it did not load.
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };

  // As styles.images.megabytes writes sizes: "10 MB", "11.4 MB".
  function megabytes(size) {
    return interpolate(gettext("%(size)s MB"), { size: (size / 1048576).toFixed(1).replace(/\.0$/, "") }, true);
  }

  function problemsFor(form, input) {
    var files = Array.prototype.slice.call(input.files || []);
    var min = Number(form.dataset.minFiles), max = Number(form.dataset.maxFiles);
    var maxBytes = Number(form.dataset.maxBytes);
    var problems = [];
    if (files.length < min || files.length > max) {
      problems.push(interpolate(gettext("A training set needs %(min)s to %(max)s images; you chose %(count)s."),
                                { min: min, max: max, count: files.length }, true));
    }
    files.forEach(function (file) {
      if (ACCEPTED.indexOf(file.type) === -1) {
        problems.push(interpolate(gettext("%(name)s is not a JPEG or PNG image."), { name: file.name }, true));
      } else if (file.size > maxBytes) {
        problems.push(interpolate(gettext("%(name)s is %(size)s; the limit is %(limit)s per image."),
                                  { name: file.name, size: megabytes(file.size), limit: megabytes(maxBytes) }, true));
      }
    });
    return { files: files, problems: problems };
  }

  function render(form) {
    var input = form.querySelector("input[type=file]");
    var result = problemsFor(form, input);
    var list = form.querySelector("[data-upload-errors]");
    list.replaceChildren.apply(list, result.problems.map(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    var total = result.files.reduce(function (sum, file) { return sum + file.size; }, 0);
    form.querySelector("[data-upload-summary]").textContent = result.files.length
      ? interpolate(ngettext("%(count)s image, %(size)s MB", "%(count)s images, %(size)s MB", result.files.length),
                    { count: result.files.length, size: (total / 1048576).toFixed(1) }, true)
      : "";
    return result.problems.length === 0;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-upload-check]");
    if (form && event.target.matches("input[type=file]")) render(form);
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
      var count = form.querySelector("input[type=file]").files.length;
      form.querySelector("[data-upload-status]").textContent = interpolate(
        ngettext("Uploaded. Checking %(count)s image…", "Uploaded. Checking %(count)s images…", count),
        { count: count }, true);
    }
  });
})();
