// 数据看板: draws every chart of the page from its <script type="application/json"> data (the
// template's json_script output). Clicking a bar or a cell opens the list behind that figure; the
// URLs come with the data, so this file knows nothing about the figures themselves.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;

  const FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  const PALETTE = ["#a61b1b", "#4a7fb5", "#6aa84f", "#e6a23c", "#8e6bb0", "#3aa3a3", "#c76b98", "#7f7f7f"];
  const BASE = {
    textStyle: { fontFamily: FONT, fontSize: 13 },
    color: PALETTE,
    animation: false,
    tooltip: { confine: true },
  };

  function readData(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function go(url) {
    if (url) window.location.href = url;
  }

  function legend(names) {
    return { top: 0, type: "scroll", data: names, textStyle: { fontSize: 12 } };
  }

  function categoryAxis(data, name) {
    return {
      type: "category",
      data: data,
      name: name || "",
      axisLabel: { interval: 0, fontSize: 12, hideOverlap: false, rotate: data.length > 6 ? 30 : 0 },
    };
  }

  function stacked(d) {
    return {
      legend: legend(d.series.map(function (s) { return s.name; })),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 48, right: 16, top: 48, bottom: 16, containLabel: true },
      xAxis: categoryAxis(d.categories),
      yAxis: { type: "value", minInterval: 1, name: "个" },
      series: d.series.map(function (s) {
        return {
          type: "bar",
          name: s.name,
          stack: "all",
          data: s.data,
          itemStyle: s.color ? { color: s.color } : undefined,
          label: { show: true, fontSize: 11, formatter: function (p) { return p.value ? p.value : ""; } },
          emphasis: { focus: "series" },
        };
      }),
    };
  }

  function bars(d) {
    const series = d.series.map(function (s) {
      return {
        type: "bar",
        name: s.name,
        data: s.data,
        barMaxWidth: 36,
        itemStyle: s.color ? { color: s.color } : undefined,
        label: { show: true, position: "top", fontSize: 11, formatter: function (p) { return p.value == null ? "" : p.value; } },
      };
    });
    if (d.targets && d.targets.length) {
      series.push({
        type: "scatter",
        name: d.targetName || "目标",
        data: d.targets,
        symbol: "diamond",
        symbolSize: 16,
        itemStyle: { color: "#222" },
        label: { show: true, position: "right", fontSize: 11, formatter: function (p) { return p.value == null ? "" : "目标" + p.value; } },
        z: 5,
      });
    }
    return {
      legend: legend(series.map(function (s) { return s.name; })),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 48, right: 24, top: 48, bottom: 16, containLabel: true },
      xAxis: categoryAxis(d.categories, d.xName),
      yAxis: { type: "value", name: d.unit || "个", minInterval: d.unit ? 0 : 1 },
      series: series,
    };
  }

  function heatmap(d) {
    return {
      tooltip: {
        formatter: function (p) {
          return d.units[p.value[1]] + " " + d.months[p.value[0]] + "：" + d.states[p.value[2]].label;
        },
      },
      grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: d.months, splitArea: { show: true }, axisLabel: { fontSize: 12 } },
      yAxis: { type: "category", data: d.units, inverse: true, axisLabel: { fontSize: 12 } },
      visualMap: {
        type: "piecewise",
        orient: "horizontal",
        left: "center",
        bottom: 0,
        dimension: 2,
        pieces: d.states.map(function (s, i) { return { value: i, label: s.label, color: s.color }; }),
        textStyle: { fontSize: 12 },
      },
      series: [{
        type: "heatmap",
        data: d.data,
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        label: { show: true, fontSize: 11, formatter: function (p) { return d.states[p.value[2]].label; } },
      }],
    };
  }

  function matrix(d) {
    let max = 1;
    d.data.forEach(function (v) { if (v[2] > max) max = v[2]; });
    return {
      tooltip: {
        formatter: function (p) {
          return d.yName + d.ys[p.value[1]] + " → " + d.xName + d.xs[p.value[0]] + "：" + p.value[2] + " 个";
        },
      },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: d.xs, name: d.xName, position: "top", splitArea: { show: true }, axisLabel: { fontSize: 12 } },
      yAxis: { type: "category", data: d.ys, name: d.yName, inverse: true, splitArea: { show: true }, axisLabel: { fontSize: 12 } },
      visualMap: { show: false, min: 0, max: max, dimension: 2, inRange: { color: ["#ffffff", "#f3c9c9", "#a61b1b"] } },
      series: [{
        type: "heatmap",
        data: d.data.map(function (v) { return v.slice(0, 3); }),
        itemStyle: { borderColor: "#ddd", borderWidth: 1 },
        label: { show: true, fontSize: 13, formatter: function (p) { return p.value[2] ? p.value[2] : ""; } },
      }],
    };
  }

  const BUILDERS = { stacked: stacked, bars: bars, heatmap: heatmap, matrix: matrix };

  function clickUrl(d, p) {
    if (d.type === "heatmap") return d.url;
    if (d.type === "matrix") return d.data[p.dataIndex][3];
    const s = d.series[p.seriesIndex];
    return s && s.urls ? s.urls[p.dataIndex] : null;
  }

  function draw(el) {
    const d = readData(el.getAttribute("data-chart"));
    if (!d) return;
    el.style.height = (parseInt(el.getAttribute("data-height"), 10) || 300) + "px";
    el.style.width = "100%";
    const empty = d.type === "heatmap" ? !d.units.length : d.type === "matrix" ? false : !d.categories.length;
    if (empty) {
      el.style.height = "auto";
      el.textContent = "暂无数据";
      el.classList.add("text-muted", "small", "p-3", "text-center");
      return;
    }
    const chart = echarts.init(el, null, { renderer: "svg", locale: "ZH" });
    chart.setOption(Object.assign({}, BASE, BUILDERS[d.type](d)));
    chart.on("click", function (p) { go(clickUrl(d, p)); });
    el.setAttribute("data-rendered", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll(".ql-chart[data-chart]").forEach(draw);
})();
