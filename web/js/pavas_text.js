// Read-only text (the APCC report) under nodes that return {"ui": {"pavas_text": [...]}}.
import { app } from "../../../scripts/app.js";
import { addPanelWidget, chainCallback, makeElement } from "./pavas_util.js";

app.registerExtension({
  name: "PAVAS.TextReport",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData.name !== "PAVAS_APCCScore") return;
    chainCallback(nodeType.prototype, "onNodeCreated", function () {
      const area = makeElement("textarea", { width: "100%", height: "100%", font: "11px monospace", resize: "none" });
      area.readOnly = true;
      area.placeholder = "Run the graph to see the score.";
      addPanelWidget(this, "pavas_report", area, 80);
      this.pavasReport = area;
    });
    chainCallback(nodeType.prototype, "onExecuted", function (output) {
      if (this.pavasReport && output?.pavas_text) this.pavasReport.value = output.pavas_text.join("\n");
    });
  },
});
