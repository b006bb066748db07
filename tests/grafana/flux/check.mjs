// Checks Flux scripts with Flux's compiler front end (@influxdata/flux-lsp-browser, WASM): syntax, then
// semantics (types and builtin function signatures). Reads a JSON array of scripts on stdin, prints a JSON
// array of {"syntax": bool, "semantic": bool}. Nothing is executed: there is no Flux engine here.
//
// The package is built for bundlers (its JS imports the .wasm file as a module); Node cannot load it as is,
// so the glue is loaded with that import replaced and the module instantiated by hand.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "node_modules", "@influxdata", "flux-lsp-browser");
const glue = readFileSync(join(pkg, "flux-lsp-browser_bg.js"), "utf8")
  .replace(/import \* as wasm from ['"]\.\/flux-lsp-browser_bg\.wasm['"];?/,
    "let wasm;\nexport function __setWasm(w) {\n  wasm = w;\n  cachedInt32Memory0 = new Int32Array(wasm.memory.buffer);\n"
    + "  cachedUint8Memory0 = new Uint8Array(wasm.memory.buffer);\n}")
  .replace(/\ncachedInt32Memory0 = new Int32Array\(wasm\.memory\.buffer\);\ncachedUint8Memory0 = new Uint8Array\(wasm\.memory\.buffer\);\s*$/,
    "\n");
const dir = mkdtempSync(join(tmpdir(), "flux-check-"));
writeFileSync(join(dir, "glue.mjs"), glue);
const flux = await import(pathToFileURL(join(dir, "glue.mjs")).href);
const { instance } = await WebAssembly.instantiate(readFileSync(join(pkg, "flux-lsp-browser_bg.wasm")),
  { "./flux-lsp-browser_bg.js": flux });
flux.__setWasm(instance.exports);

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((script) => ({
  syntax: flux.is_valid_flux(script),
  semantic: new flux.Flux(script).is_valid(),
}));
process.stdout.write(JSON.stringify(results) + "\n");
