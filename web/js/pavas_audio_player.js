// Audio player on the PAVAS nodes that make sound (Foley, mix, MMAudio sampler).
// The nodes save a preview WAV in ComfyUI's temp folder and return {"ui": {"audio": [...]}} like
// core PreviewAudio. The widget is named "audioUI" because ComfyUI's own audio extension looks for a
// widget of that name on every node whose output holds "audio" and points it at the new file.
import { app } from "../../../scripts/app.js";
import { PAVAS_AUDIO_NODES, addPanelWidget, chainCallback, makeElement, viewUrl } from "./pavas_util.js";

function attachPlayer(node) {
  if (node.widgets?.some((w) => w.name === "audioUI")) return;
  const audio = makeElement("audio", { width: "100%" });
  audio.controls = true;
  audio.classList.add("comfy-audio", "empty-audio-widget");
  audio.setAttribute("name", "media");
  const widget = addPanelWidget(node, "audioUI", audio, 54);
  widget.onRemove = () => {
    audio.pause();
    audio.removeAttribute("src");
    audio.remove();
  };
}

app.registerExtension({
  name: "PAVAS.AudioPlayer",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!PAVAS_AUDIO_NODES.has(nodeData.name)) return;
    chainCallback(nodeType.prototype, "onNodeCreated", function () {
      attachPlayer(this);
    });
    chainCallback(nodeType.prototype, "onExecuted", function (output) {
      const entry = output?.audio?.[0];
      const widget = this.widgets?.find((w) => w.name === "audioUI");
      if (!entry || !widget?.element) return;
      widget.element.src = viewUrl(entry);
      widget.element.classList.remove("empty-audio-widget");
    });
  },
});
