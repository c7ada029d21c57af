// Loaded between require.js and the widget manager (embed-amd.js) on pages that show
// widgets; see nb_ipywidgets_js in _config.yml and tools/sphinx_ext/web_assets.py.
(function () {
  "use strict";

  // 1. The widget manager's CSS finds its Font Awesome files relative to the URL of its
  //    AMD module. By default that URL is the page's folder; point it at the book's copy
  //    in _static/jupyter-widgets, beside this script.
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  window.require.config({
    paths: { "@jupyter-widgets/html-manager/dist": here + "jupyter-widgets" },
  });

  // 2. ipywidgets typesets the LaTeX of widget labels with MathJax 2's
  //    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). MathJax 3 has no Hub, which
  //    made every widget throw a TypeError. Translate the call to MathJax 3.
  var waiting = [];

  function typeset(element) {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.typesetPromise && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise = mathjax.startup.promise.then(function () {
        return mathjax.typesetPromise([element]);
      });
    } else {
      waiting.push(element);
    }
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var command = arguments[i];
        if (Array.isArray(command) && command[0] === "Typeset" && command[2]) {
          typeset(command[2]);
        }
      }
    },
  };

  // window.MathJax is still the configuration here (MathJax itself is deferred).
  var config = (window.MathJax = window.MathJax || {});
  config.Hub = hub;
  var startup = (config.startup = config.startup || {});
  var ready = startup.ready;
  startup.ready = function () {
    if (ready) {
      ready();
    } else {
      window.MathJax.startup.defaultReady();
    }
    window.MathJax.Hub = hub;
    waiting.splice(0).forEach(typeset);
  };
})();
