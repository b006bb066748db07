// Builds the dashboard into api/static (index.html + hashed assets) and prints the bundle sizes.
//   node build.mjs           production build (fails if the gzipped JavaScript passes the budget)
//   NO_MINIFY=1 node build.mjs   the same, not minified (function names in a CPU profile: bench.dashboard_trace)
//   node build.mjs --tests   bundles test/*.test.ts for `node --test` into .test-build/
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const JS_BUDGET_GZIP = 100 * 1024;

if (process.argv.includes("--tests")) {
  const out = join(here, ".test-build");
  rmSync(out, { recursive: true, force: true });
  const tests = readdirSync(join(here, "test")).filter((f) => f.endsWith(".test.ts")).map((f) => join(here, "test", f));
  await esbuild.build({
    entryPoints: tests, bundle: true, platform: "node", format: "esm", target: "node20", outdir: out,
    outExtension: { ".js": ".mjs" }, logLevel: "warning",
    external: ["node:*"],
  });
  console.log(`bundled ${tests.length} test files into ${relative(process.cwd(), out) || "."}`);
  process.exit(0);
}

const staticDir = join(here, "..", "..", "api", "static");
const assets = join(staticDir, "assets");
rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true, minify: !process.env.NO_MINIFY, format: "esm", target: ["es2020", "chrome100", "firefox100", "safari15"],
  outdir: assets, entryNames: "app-[hash]", metafile: true, legalComments: "none", logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => join(process.cwd(), p));
const js = outputs.find((p) => p.endsWith(".js"));
const css = outputs.find((p) => p.endsWith(".css"));
const html = readFileSync(join(here, "index.html"), "utf8")
  .replace("{{js}}", basename(js)).replace("{{css}}", basename(css));
writeFileSync(join(staticDir, "index.html"), html);

let jsGzip = 0;
console.log("dashboard bundle (api/static/assets):");
for (const file of outputs) {
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 }).length;
  if (file.endsWith(".js")) jsGzip += gz;
  console.log(`  ${basename(file).padEnd(28)} ${(raw.length / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gzipped`);
}
console.log(`  total JavaScript: ${(jsGzip / 1024).toFixed(1)} KB gzipped (budget ${JS_BUDGET_GZIP / 1024} KB)`);
if (jsGzip > JS_BUDGET_GZIP) {
  console.error("the JavaScript bundle is over its budget");
  process.exit(1);
}
