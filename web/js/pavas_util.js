// Helpers shared by the PAVAS widgets. This module registers no extension of its own.
// ComfyUI serves web/ under extensions/<pack folder>, so the app lives three folders up (never hard-code the
// pack folder name: ComfyUI names the URL after wherever the user cloned the pack).
import { api } from "../../../scripts/api.js";

export const PAVAS_AUDIO_NODES = new Set(["PAVAS_PhysicsFoley", "PAVAS_AudioMix", "PAVAS_MMAudioSampler"]);
export const PAVAS_TIMELINE_NODES = new Set([
  "PAVAS_EstimatePhysics", "PAVAS_EditPhysics", "PAVAS_PhysicsPreview", "PAVAS_AssemblePhysics",
]);

// Call `fn` after the original method (prototype chaining, as ComfyUI's own widgets do).
export function chainCallback(object, property, fn) {
  const original = object[property];
  object[property] = function (...args) {
    const result = original?.apply(this, args);
    fn.apply(this, args);
    return result;
  };
}

// URL of a file the server saved ({filename, subfolder, type} from a node's "ui" output).
export function viewUrl(entry) {
  const params = new URLSearchParams({
    filename: entry.filename,
    subfolder: entry.subfolder ?? "",
    type: entry.type ?? "temp",
  });
  return api.apiURL(`/view?${params.toString()}&t=${Date.now()}`);
}

// A DOM widget that is never saved into the workflow nor sent to the server.
export function addPanelWidget(node, name, element, minHeight) {
  const widget = node.addDOMWidget(name, name, element, {
    serialize: false,
    hideOnZoom: false,
    getMinHeight: () => minHeight,
  });
  widget.serialize = false;
  return widget;
}

export function makeElement(tag, style = {}, text = "") {
  const el = document.createElement(tag);
  Object.assign(el.style, style);
  if (text) el.textContent = text;
  return el;
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return Number(value).toPrecision(digits);
}
