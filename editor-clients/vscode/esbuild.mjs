// Bundles the extension (node, commonjs) and the chat view script (browser, iife);
// with --tests (unit) and --e2e also the test files under test/ into out/test/.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const args = new Set(process.argv.slice(2));
const production = args.has("--production");
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: "warning" };

const builds = [
  {
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "out/extension.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  {
    ...common,
    entryPoints: ["src/webview/main.ts"],
    outfile: "out/webview.js",
    platform: "browser",
    format: "iife",
    target: "chrome120",
  },
];

function testEntries(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => join(dir, name));
}

const testDirs = [args.has("--tests") && "test/unit", args.has("--e2e") && "test/e2e"].filter(Boolean);
if (testDirs.length > 0) {
  builds.push({
    ...common,
    sourcemap: true,
    entryPoints: testDirs.flatMap(testEntries),
    outdir: "out/test",
    outbase: "test",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["playwright-core", "vscode"],
  });
}

if (args.has("--watch")) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
