// Renders Mermaid diagrams to SVG with mermaid's own bundle in headless Chromium.
//
// Usage: node render.mjs DIAGRAMS.json
//   DIAGRAMS.json holds a JSON array of diagram texts. Prints a JSON array with, per
//   diagram, {"svg": "..."} or {"error": "..."}. All diagrams render in one browser
//   launch. Chromium is the system one (CHROMIUM env var, default: chromium on PATH);
//   nothing is downloaded: mermaid comes from this folder's node_modules.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const mermaidJs = path.join(here, "node_modules", "mermaid", "dist", "mermaid.min.js");
const chromium = process.env.CHROMIUM || "chromium"; // found on PATH

function page(diagrams) {
  const payload = encodeURIComponent(JSON.stringify(diagrams));
  return `<!doctype html>
<html><head><meta charset="utf-8">
<script src="${pathToFileURL(mermaidJs).href}"></script>
</head><body>
<pre id="out"></pre>
<script>
(async () => {
  const diagrams = JSON.parse(decodeURIComponent("${payload}"));
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", suppressErrorRendering: true });
  const results = [];
  for (let i = 0; i < diagrams.length; i++) {
    try {
      const { svg } = await mermaid.render("diagram" + i, diagrams[i]);
      results.push({ svg });
    } catch (e) {
      results.push({ error: String((e && e.message) || e) });
    }
  }
  document.getElementById("out").textContent = encodeURIComponent(JSON.stringify(results));
})();
</script>
</body></html>`;
}

function main() {
  if (process.argv.length !== 3) {
    console.error("usage: node render.mjs DIAGRAMS.json");
    process.exit(64);
  }
  if (!fs.existsSync(mermaidJs)) {
    console.error(`mermaid is not installed: run 'npm ci' in ${here}`);
    process.exit(3);
  }
  const diagrams = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "mermaid-render-"));
  try {
    const html = path.join(work, "render.html");
    fs.writeFileSync(html, page(diagrams));
    const res = spawnSync(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        `--user-data-dir=${path.join(work, "profile")}`,
        "--allow-file-access-from-files", "--virtual-time-budget=60000",
        "--dump-dom", pathToFileURL(html).href,
      ],
      { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 120000 },
    );
    if (res.error) throw res.error;
    const m = /<pre id="out">([^<]+)<\/pre>/.exec(res.stdout || "");
    if (!m) {
      console.error(`rendering did not finish (chromium exit ${res.status}):\n${res.stderr}`);
      process.exit(2);
    }
    process.stdout.write(decodeURIComponent(m[1]));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
