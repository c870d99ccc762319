// An image's page: the copy-link button and the comment box's character counter.
// No library: the clipboard API where the browser allows it, otherwise the link is selected in its
// input for the visitor to copy. The counter listens on the document, so it keeps working on the fresh
// form htmx swaps in after each comment.
(function () {
  "use strict";

  function say(feedback, text) {
    if (!feedback) return;
    feedback.textContent = text;
    window.clearTimeout(feedback._timer);
    feedback._timer = window.setTimeout(function () { feedback.textContent = ""; }, 4000);
  }

  function selectForCopy(box, button, feedback) {
    var input = box.querySelector("[data-copy-source]");
    if (!input) return;
    input.classList.add("shown");
    input.focus();
    input.select();
    var copied = false;
    try {
      copied = document.execCommand && document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(feedback, copied ? button.dataset.copied : button.dataset.select);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-link]");
    if (!button) return;
    var box = button.closest(".copy-link");
    var feedback = box.querySelector(".copy-link-feedback");
    var url = box.querySelector("[data-copy-source]").value;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        function () { say(feedback, button.dataset.copied); },
        function () { selectForCopy(box, button, feedback); }
      );
    } else {
      selectForCopy(box, button, feedback);
    }
  });

  function count(textarea) {
    var counter = document.getElementById(textarea.dataset.counter);
    if (!counter) return;
    var max = Number(counter.dataset.max);
    var length = textarea.value.length;
    counter.textContent = length + " / " + max;
    counter.classList.toggle("over", length > max);
  }

  // A comment you posted sits under "Show more comments" until the older ones have loaded; once the
  // last page brings it in its place, the early copy goes.
  document.addEventListener("htmx:afterSettle", function () {
    var posted = document.querySelectorAll("#comments-posted > .comment");
    Array.prototype.forEach.call(posted, function (comment) {
      if (document.querySelector("#comment-list > [id='" + comment.id + "']")) comment.remove();
    });
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counter]")) count(event.target);
  });
})();
