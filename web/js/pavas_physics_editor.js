// Friendly editing on Edit Physics: preset buttons ("heavier", "lighter", "faster", "slower", reset),
// a plain-words summary of the edit, and after a run the objects with their mass before → after;
// clicking an object selects it (sets object_id). Only the node's own widgets are changed, so the
// workflow and the server see ordinary widget values.
import { app } from "../../../scripts/app.js";
import { addPanelWidget, chainCallback, formatNumber, makeElement } from "./pavas_util.js";

const PRESETS = [
  { label: "Heavier ×2", widget: "mass_scale", factor: 2 },
  { label: "Lighter ×½", widget: "mass_scale", factor: 0.5 },
  { label: "Faster ×1.5", widget: "speed_scale", factor: 1.5 },
  { label: "Slower ×⅔", widget: "speed_scale", factor: 2 / 3 },
];

function findWidget(node, name) {
  return node.widgets?.find((w) => w.name === name);
}

function setWidget(node, name, value) {
  const widget = findWidget(node, name);
  if (!widget) return;
  const { min, max } = widget.options ?? {};
  let v = value;
  if (typeof min === "number") v = Math.max(min, v);
  if (typeof max === "number") v = Math.min(max, v);
  widget.value = typeof v === "number" ? Number(v.toFixed(4)) : v;
  widget.callback?.(widget.value);
  node.setDirtyCanvas?.(true, true);
}

function summary(node) {
  const get = (n) => findWidget(node, n)?.value;
  const id = get("object_id");
  const target = id === undefined || id < 0 ? "all objects" : `object ${id}`;
  const parts = [];
  if (get("mass_kg") > 0) parts.push(`mass = ${formatNumber(get("mass_kg"))} kg`);
  else if (get("mass_scale") !== 1) parts.push(`mass ×${formatNumber(get("mass_scale"))}`);
  if (get("speed_scale") !== 1) parts.push(`speed ×${formatNumber(get("speed_scale"))}`);
  if (get("material") && get("material") !== "keep") parts.push(`material ${get("material")}`);
  return `Edits ${target}: ${parts.length ? parts.join(", ") : "nothing yet"}`;
}

function attachEditor(node) {
  const box = makeElement("div", { display: "flex", flexDirection: "column", gap: "4px", font: "11px sans-serif",
    color: "#ddd", width: "100%" });
  const buttons = makeElement("div", { display: "flex", flexWrap: "wrap", gap: "4px" });
  const text = makeElement("div", { minHeight: "14px" });
  const list = makeElement("div", { display: "flex", flexDirection: "column", gap: "2px", maxHeight: "90px", overflowY: "auto" });
  const refresh = () => { text.textContent = summary(node); };
  const button = (label, onClick) => {
    const b = makeElement("button", { font: "11px sans-serif", padding: "2px 6px", cursor: "pointer" }, label);
    b.addEventListener("click", (event) => { event.stopPropagation(); onClick(); refresh(); });
    buttons.append(b);
  };
  for (const p of PRESETS) {
    button(p.label, () => {
      if (p.widget === "mass_scale") setWidget(node, "mass_kg", 0);
      setWidget(node, p.widget, (findWidget(node, p.widget)?.value ?? 1) * p.factor);
    });
  }
  button("Reset", () => {
    for (const [name, value] of [["mass_scale", 1], ["speed_scale", 1], ["mass_kg", 0], ["material", "keep"]]) {
      setWidget(node, name, value);
    }
  });
  box.append(buttons, text, list);
  addPanelWidget(node, "pavas_editor", box, 96);
  for (const name of ["object_id", "mass_scale", "mass_kg", "speed_scale", "material"]) {
    chainCallback(findWidget(node, name) ?? {}, "callback", refresh);
  }
  node.pavasShowObjects = (rows) => {
    list.replaceChildren();
    const all = makeElement("div", { cursor: "pointer", textDecoration: "underline" }, "all objects (-1)");
    all.addEventListener("click", () => { setWidget(node, "object_id", -1); refresh(); });
    list.append(all);
    for (const row of rows) {
      const line = makeElement("div", { cursor: "pointer" },
        `${row.id}: ${row.name} — ${formatNumber(row.mass_before_kg)} → ${formatNumber(row.mass_after_kg)} kg` +
        `${row.material_after ? `, ${row.material_after}` : ""}, ${row.impacts} impact(s)`);
      line.title = "Click to edit only this object";
      line.addEventListener("click", () => { setWidget(node, "object_id", row.id); refresh(); });
      list.append(line);
    }
  };
  node.pavasRefreshSummary = refresh;
  refresh();
}

app.registerExtension({
  name: "PAVAS.PhysicsEditor",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData.name !== "PAVAS_EditPhysics") return;
    chainCallback(nodeType.prototype, "onNodeCreated", function () {
      attachEditor(this);
    });
    chainCallback(nodeType.prototype, "onConfigure", function () {
      this.pavasRefreshSummary?.();  // widget values of a loaded workflow are set after creation
    });
    chainCallback(nodeType.prototype, "onExecuted", function (output) {
      if (output?.pavas_objects && this.pavasShowObjects) this.pavasShowObjects(output.pavas_objects);
    });
  },
});
