// Physics timeline on Estimate Physics / Edit Physics / Physics Preview after a run:
// speed per object over time, impact markers sized by ΔKE, mass labels, values under the mouse.
// Data comes from the node's {"ui": {"pavas_timeline": [timeline]}} output
// (pavas_core/physics/timeline.py: timeline_data).
import { app } from "../../../scripts/app.js";
import { PAVAS_TIMELINE_NODES, addPanelWidget, chainCallback, formatNumber, makeElement } from "./pavas_util.js";

const HEIGHT_PX = 200;
const MARGIN = { left: 38, right: 8, top: 8, bottom: 18 };

function scales(data, width, height) {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const duration = Math.max(data.duration_s, 1e-6);
  const vMax = data.max_speed_mps * 1.1 || 1;
  return {
    plotW, plotH, duration, vMax,
    x: (t) => MARGIN.left + (plotW * t) / duration,
    y: (v) => MARGIN.top + plotH * (1 - Math.min(v, vMax) / vMax),
    t: (x) => ((x - MARGIN.left) / plotW) * duration,
  };
}

function draw(canvas, data, hover) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || HEIGHT_PX;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#18181c";
  ctx.fillRect(0, 0, width, height);
  const s = scales(data, width, height);
  ctx.strokeStyle = "#555";
  ctx.strokeRect(MARGIN.left, MARGIN.top, s.plotW, s.plotH);
  ctx.fillStyle = "#999";
  ctx.font = "10px sans-serif";
  ctx.fillText(`${formatNumber(s.vMax, 2)} m/s`, 2, MARGIN.top + 8);
  ctx.fillText("0", 2, MARGIN.top + s.plotH);
  ctx.fillText(`${formatNumber(s.duration, 3)} s`, width - 46, height - 4);

  data.objects.forEach((obj, row) => {
    ctx.strokeStyle = obj.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    obj.time_s.forEach((t, i) => {
      const v = obj.speed_mps[i];
      if (v === null) { pen = false; return; }
      if (pen) ctx.lineTo(s.x(t), s.y(v)); else ctx.moveTo(s.x(t), s.y(v));
      pen = true;
    });
    ctx.stroke();
    for (const imp of obj.impacts) {
      ctx.beginPath();
      ctx.arc(s.x(imp.time_s), s.y(imp.v_before), imp.marker_radius_px, 0, 2 * Math.PI);
      ctx.fillStyle = obj.color;
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    ctx.fillStyle = obj.color;
    ctx.fillText(`${obj.id}: ${obj.name} ${formatNumber(obj.mass_kg)} kg`, MARGIN.left + 4, MARGIN.top + 11 + 12 * row);
  });
  if (!data.objects.length) {
    ctx.fillStyle = "#ccc";
    ctx.fillText("no moving object found", MARGIN.left + 8, MARGIN.top + s.plotH / 2);
  }
  if (hover) {
    ctx.strokeStyle = "rgba(255,255,255,0.35)";
    ctx.beginPath();
    ctx.moveTo(hover.x, MARGIN.top);
    ctx.lineTo(hover.x, MARGIN.top + s.plotH);
    ctx.stroke();
  }
}

// Text describing the values under the mouse: nearest impact if close, else speeds at that time.
function describe(data, canvas, x, y) {
  const s = scales(data, canvas.clientWidth, canvas.clientHeight);
  for (const obj of data.objects) {
    for (const imp of obj.impacts) {
      const r = imp.marker_radius_px + 2;
      if (Math.hypot(s.x(imp.time_s) - x, s.y(imp.v_before) - y) <= r) {
        return `${obj.name}: impact at ${formatNumber(imp.time_s)} s, ΔKE ${formatNumber(imp.delta_ke_j)} J, ` +
          `${formatNumber(imp.v_before)} → ${formatNumber(imp.v_after)} m/s`;
      }
    }
  }
  const t = s.t(x);
  if (t < 0 || t > s.duration) return "";
  const parts = data.objects.map((obj) => {
    let best = 0;
    obj.time_s.forEach((ti, i) => { if (Math.abs(ti - t) < Math.abs(obj.time_s[best] - t)) best = i; });
    return `${obj.name} ${formatNumber(obj.speed_mps[best])} m/s`;
  });
  return `${formatNumber(t)} s: ${parts.join(", ")}`;
}

function attachTimeline(node) {
  const box = makeElement("div", { display: "flex", flexDirection: "column", width: "100%", height: "100%" });
  const canvas = makeElement("canvas", { width: "100%", flex: "1 1 auto", minHeight: "120px", borderRadius: "4px" });
  const readout = makeElement("div", { font: "11px sans-serif", color: "#ccc", minHeight: "14px", whiteSpace: "nowrap",
    overflow: "hidden", textOverflow: "ellipsis" }, "Run the graph to see the physics timeline.");
  box.append(canvas, readout);
  const widget = addPanelWidget(node, "pavas_timeline", box, HEIGHT_PX);
  widget.pavasData = null;
  canvas.addEventListener("mousemove", (event) => {
    if (!widget.pavasData) return;
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * canvas.clientWidth;
    const y = ((event.clientY - rect.top) / rect.height) * canvas.clientHeight;
    draw(canvas, widget.pavasData, { x });
    readout.textContent = describe(widget.pavasData, canvas, x, y);
  });
  canvas.addEventListener("mouseleave", () => widget.pavasData && draw(canvas, widget.pavasData, null));
  new ResizeObserver(() => widget.pavasData && draw(canvas, widget.pavasData, null)).observe(canvas);
  widget.show = (data) => {
    widget.pavasData = data;
    const impacts = data.objects.reduce((n, o) => n + o.impacts.length, 0);
    readout.textContent = `${data.objects.length} object(s), ${impacts} impact(s)` +
      (data.warnings?.length ? ` — note: ${data.warnings[0]}` : "");
    draw(canvas, data, null);
  };
}

app.registerExtension({
  name: "PAVAS.PhysicsTimeline",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!PAVAS_TIMELINE_NODES.has(nodeData.name)) return;
    chainCallback(nodeType.prototype, "onNodeCreated", function () {
      attachTimeline(this);
    });
    chainCallback(nodeType.prototype, "onExecuted", function (output) {
      const data = output?.pavas_timeline?.[0];
      const widget = this.widgets?.find((w) => w.name === "pavas_timeline");
      if (data && widget?.show) widget.show(data);
    });
  },
});
