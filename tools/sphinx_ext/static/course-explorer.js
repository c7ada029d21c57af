// The book's interactive figures without a kernel (course_rnn.figures.explorer).
// Each .course-explorer holds its controls (range inputs over the indices of a grid of
// values, selects), one <img> and a JSON list of the figure drawn for every grid point.
// Moving a control shows the figure of the values the controls now show.
(function () {
  "use strict";

  function setUp(root) {
    var script = root.querySelector("script.course-explorer-data");
    var img = root.querySelector("img.course-explorer-figure");
    if (!script || !img) return;
    var data = JSON.parse(script.textContent);
    var fields = Array.prototype.slice.call(root.querySelectorAll("[data-name]"));

    function update() {
      var index = fields.map(function (el) {
        return el.tagName === "SELECT" ? el.selectedIndex : Number(el.value);
      });
      var alt = [];
      fields.forEach(function (el, i) {
        var control = data.controls[i];
        var label = control.labels[index[i]];
        var out = el.parentElement.querySelector("output");
        if (out) out.textContent = label;
        if (el.tagName !== "SELECT") el.setAttribute("aria-valuetext", label);
        alt.push(control.description + " = " + label);
      });
      var key = index.join(",");
      var src = data.figures[key];
      if (!src) return;
      img.src = src;
      img.alt = alt.join(", ");
      root.setAttribute("data-key", key);
    }

    fields.forEach(function (el) {
      el.disabled = false; // stored disabled: without this script they would do nothing
      el.addEventListener("input", update);
      el.addEventListener("change", update);
    });
    update();
  }

  function setUpAll() {
    document.querySelectorAll(".course-explorer").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
