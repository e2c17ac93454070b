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
    // "More results": focus the first of the results just added.
    const first = document.querySelector("[data-first-new]");
    if (first) {
      first.removeAttribute("data-first-new");
      const link = first.querySelector("a");
      if (link) {
        link.focus();
      }
    }
  });

  // Sliders show their value beside them, and say "Any" at their no-limit end.
  function sliderText(input) {
    const any = input.dataset.any;
    return any !== undefined && parseFloat(input.value) >= parseFloat(any) ? "Any" : input.value;
  }
  function showSlider(input) {
    const text = sliderText(input);
    input.setAttribute("aria-valuetext", text);
    const output = document.getElementById(input.dataset.output || "");
    if (output) {
      output.textContent = text;
    }
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[type=range][data-output]")) {
      showSlider(event.target);
    }
  });
  function setUp() {
    document.querySelectorAll("input[type=range][data-output]").forEach(showSlider);
    // On a phone the search's filters start folded (their summary counts those in use),
    // so that the results come first.
    const filters = document.getElementById("search-filters");
    if (filters && window.matchMedia("(max-width: 55.99rem)").matches) {
      filters.open = false;
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }

  // Search links stay short: empty fields and sliders at "Any" are left out of the query
  // (the page reads them the same either way).
  document.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-tidy-query")) {
      return;
    }
    const params = event.detail.parameters;
    form.querySelectorAll("input, select").forEach(function (input) {
      if (!input.name) {
        return;
      }
      const atAny = input.type === "range" && sliderText(input) === "Any";
      if (atAny || (input.type !== "checkbox" && input.type !== "radio" && input.value === "")) {
        delete params[input.name];
      }
    });
  });
})();
