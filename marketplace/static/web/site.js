// Small behaviours shared by every page. No inline scripts anywhere: the site's Content
// Security Policy allows only files served by the site itself.
(function () {
  "use strict";

  // After htmx swaps in a new list, move focus to it so keyboard and screen-reader users
  // land on the result.
  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "work-list") {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
  });
})();
