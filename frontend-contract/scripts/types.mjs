#!/usr/bin/env node
// Generates src/schema.d.ts from the committed OpenAPI document with openapi-typescript.
//   node scripts/types.mjs           write src/schema.d.ts
//   node scripts/types.mjs --check   regenerate into a temp file; fail if it differs (drift test)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const spec = resolve(root, "../openapi/openapi.json");
const committed = join(root, "src/schema.d.ts");
const bin = join(root, "node_modules/.bin/openapi-typescript");
const check = process.argv.includes("--check");

const out = check ? join(mkdtempSync(join(tmpdir(), "schema-")), "schema.d.ts") : committed;
execFileSync(bin, [spec, "--output", out], { stdio: ["ignore", "ignore", "inherit"] });

if (!check) {
  console.log(`wrote ${committed} from ${spec}`);
  process.exit(0);
}
const fresh = readFileSync(out, "utf8");
rmSync(dirname(out), { recursive: true, force: true });
let current = "";
try {
  current = readFileSync(committed, "utf8");
} catch {
  // missing counts as drift
}
if (fresh !== current) {
  const a = current.split("\n");
  const b = fresh.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  console.error(`DRIFT: src/schema.d.ts does not match ../openapi/openapi.json (first difference at line ${line + 1}).`);
  console.error(`  committed: ${JSON.stringify(a[line] ?? "<end of file>")}`);
  console.error(`  generated: ${JSON.stringify(b[line] ?? "<end of file>")}`);
  console.error("Run `npm run gen:types` in frontend-contract/ and commit the result.");
  process.exit(1);
}
console.log("types: src/schema.d.ts matches ../openapi/openapi.json");
