/*
 * 振兴 — the few behaviours server-rendered pages need. No framework.
 *
 * The Content-Security-Policy forbids inline scripts, so pages never carry
 * onclick="…" or <script> code: they mark elements with data-* attributes and
 * this file does the rest. Load it with defer, after htmx:
 *
 *   <meta name="csrf-token" content="{{ csrf_token }}">
 *   <script src="{% static 'vendor/htmx/htmx.min.js' %}" defer></script>
 *   <script src="{% static 'zhenxing/app.js' %}" defer></script>
 *   <script src="{% static 'vendor/echarts/echarts.min.js' %}" defer></script>  (pages with charts)
 *
 * 1. data-confirm="确定删除该项目吗？" on a link, a button or a form asks
 *    before going on (also stops htmx requests the element would send).
 * 2. <div class="chart" data-chart="chart-1"></div> draws an ECharts chart
 *    from {{ option|json_script:"chart-1" }}, i.e. <script type="application/json"
 *    id="chart-1">. A <table> next to the chart (or in a .table-wrap next to it,
 *    or named by data-chart-table="id") holds the same figures: it stays
 *    visible without JavaScript and otherwise opens with a "数据表" button.
 * 3. htmx requests to this site carry the X-CSRFToken header from the
 *    csrf-token meta tag.
 * 4. <select data-autosubmit> submits its form when changed (language switch,
 *    filters), and an .error-summary on the page takes the focus.
 */
(function () {
  "use strict";

  var doc = document;

  function isEnglish() {
    return (doc.documentElement.getAttribute("lang") || "").toLowerCase().indexOf("en") === 0;
  }

  function text(zh, en) {
    return isEnglish() ? en : zh;
  }

  // ------------------------------------------------------------ 1. confirm

  var CONFIRMABLE =
    "a[data-confirm], button[data-confirm], input[type=submit][data-confirm], " +
    "input[type=button][data-confirm], input[type=image][data-confirm]";

  function askConfirm(element) {
    var message = element.getAttribute("data-confirm") || text("确定要继续吗？", "Are you sure?");
    return window.confirm(message);
  }

  function cancel(event) {
    event.preventDefault();
    // Capture phase on the document: nothing else (htmx included) sees the event.
    event.stopImmediatePropagation();
  }

  doc.addEventListener(
    "click",
    function (event) {
      var target = event.target;
      var element = target && target.closest ? target.closest(CONFIRMABLE) : null;
      if (!element || element.disabled) {
        return;
      }
      if (!askConfirm(element)) {
        cancel(event);
      }
    },
    true
  );

  doc.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) {
        return;
      }
      var submitter = event.submitter;
      if (submitter && submitter.hasAttribute("data-confirm")) {
        return; // the button already asked
      }
      if (!askConfirm(form)) {
        cancel(event);
      }
    },
    true
  );

  // ------------------------------------------------------------ 2. charts

  var charts = [];

  function chartTableFor(element) {
    var id = element.getAttribute("data-chart-table");
    if (id) {
      return doc.getElementById(id);
    }
    var parent = element.parentNode;
    if (!parent) {
      return null;
    }
    var siblings = parent.children;
    var i;
    for (i = 0; i < siblings.length; i++) {
      if (siblings[i] !== element && siblings[i].tagName === "TABLE") {
        return siblings[i];
      }
    }
    for (i = 0; i < siblings.length; i++) {
      if (siblings[i] !== element && siblings[i].tagName !== "SCRIPT" &&
          siblings[i].querySelector && siblings[i].querySelector("table")) {
        return siblings[i];
      }
    }
    return null;
  }

  function addTableToggle(element) {
    var table = chartTableFor(element);
    if (!table || !element.parentNode) {
      return;
    }
    if (!table.id) {
      table.id = element.getAttribute("data-chart") + "-table";
    }
    var button = doc.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm chart-toggle";
    button.textContent = element.getAttribute("data-chart-table-label") || text("数据表", "Data table");
    button.setAttribute("aria-controls", table.id);
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var show = table.hidden;
      table.hidden = !show;
      button.setAttribute("aria-expanded", show ? "true" : "false");
    });
    var tools = doc.createElement("div");
    tools.className = "chart-tools";
    tools.appendChild(button);
    element.parentNode.insertBefore(tools, element);
    table.hidden = true;
  }

  function initChart(element) {
    var echarts = window.echarts;
    if (!echarts || echarts.getInstanceByDom(element)) {
      return;
    }
    var id = element.getAttribute("data-chart");
    var source = id ? doc.getElementById(id) : null;
    if (!source) {
      if (window.console) {
        window.console.warn("data-chart: no <script type=\"application/json\" id=\"" + id + "\">");
      }
      return;
    }
    var option;
    try {
      option = JSON.parse(source.textContent);
    } catch (err) {
      if (window.console) {
        window.console.error("data-chart: the option in #" + id + " is not JSON", err);
      }
      return;
    }
    if (!element.hasAttribute("aria-label") && !element.hasAttribute("aria-labelledby")) {
      // A screen reader hears the chart's name; the figures are in the data table.
      var title = option && option.title && !Array.isArray(option.title) ? option.title.text : "";
      element.setAttribute("role", "img");
      element.setAttribute("aria-label", title || text("图表", "Chart"));
    }
    var chart = echarts.init(element, null, { locale: isEnglish() ? "EN" : "ZH" });
    chart.setOption(option);
    charts.push(chart);
    if (window.ResizeObserver) {
      // Also catches a chart that starts in a hidden tab and is shown later.
      new window.ResizeObserver(function () {
        if (!chart.isDisposed()) {
          chart.resize();
        }
      }).observe(element);
    }
    addTableToggle(element);
  }

  function initCharts(root) {
    if (!window.echarts || !root || !root.querySelectorAll) {
      return;
    }
    if (root.hasAttribute && root.hasAttribute("data-chart")) {
      initChart(root);
    }
    var elements = root.querySelectorAll("[data-chart]");
    for (var i = 0; i < elements.length; i++) {
      initChart(elements[i]);
    }
  }

  var resizePending = false;
  window.addEventListener("resize", function () {
    if (resizePending) {
      return;
    }
    resizePending = true;
    window.requestAnimationFrame(function () {
      resizePending = false;
      charts = charts.filter(function (chart) {
        return !chart.isDisposed();
      });
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  });

  // Content swapped in by htmx gets its charts; content swapped out frees them.
  doc.addEventListener("htmx:load", function (event) {
    initCharts(event.target);
  });
  doc.addEventListener("htmx:beforeCleanupElement", function (event) {
    var element = event.target;
    if (window.echarts && element && element.hasAttribute && element.hasAttribute("data-chart")) {
      var chart = window.echarts.getInstanceByDom(element);
      if (chart) {
        chart.dispose();
      }
    }
  });

  // ------------------------------------------------------------ 3. htmx + CSRF

  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function sameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (err) {
      return false;
    }
  }

  doc.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var token = csrfToken();
    if (token && detail && detail.headers && sameOrigin(detail.path)) {
      detail.headers["X-CSRFToken"] = token;
    }
  });

  // htmx would add its indicator rules in an inline <style>, which the CSP
  // refuses; app.css has the same rules.
  if (window.htmx && window.htmx.config) {
    window.htmx.config.includeIndicatorStyles = false;
  }

  // ------------------------------------------------------------ 4. small things

  doc.addEventListener("change", function (event) {
    var element = event.target;
    if (element && element.hasAttribute && element.hasAttribute("data-autosubmit") && element.form) {
      if (element.form.requestSubmit) {
        element.form.requestSubmit();
      } else {
        element.form.submit();
      }
    }
  });

  function focusErrorSummary() {
    var summary = doc.querySelector(".error-summary");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) {
        summary.setAttribute("tabindex", "-1");
      }
      summary.focus();
    }
  }

  var started = false;

  function start() {
    // Runs at DOMContentLoaded and again at load, so a chart page may load
    // echarts.min.js before or after this file; charts are drawn once.
    initCharts(doc.body);
    if (!started) {
      started = true;
      focusErrorSummary();
    }
  }

  if (doc.readyState === "complete") {
    start();
  } else {
    doc.addEventListener("DOMContentLoaded", start);
    window.addEventListener("load", start);
  }
})();
