// Parse every mermaid block given on stdin (separated by NUL) with the real mermaid parser.
// Prints "ok <diagramType>" per block, or "error <message>" and exits 1.
import { JSDOM } from "jsdom";
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
let input = "";
for await (const chunk of process.stdin) input += chunk;
let failed = false;
for (const block of input.split("\0").filter((b) => b.trim())) {
  try {
    const r = await mermaid.parse(block);
    console.log(`ok ${r.diagramType}`);
  } catch (e) {
    console.log(`error ${String(e.message).split("\n").join(" | ")}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
