#!/usr/bin/env node
// Conformance oracle for apptrust's YAML loader.
//
// Usage:
//   node parse-to-json.mjs [--forge] [--warnings] FILE...
//   node parse-to-json.mjs [--forge] [--warnings] --list LISTFILE   (one path per line)
//
// For every file, in input order, prints ONE JSON line:
//   {"file": PATH, "ok": true,  "value": <parsed value>}
//   {"file": PATH, "ok": false, "error": "<message>", "code": "<yaml error code, if any>"}
//
// How the file is read and parsed is exactly what @forge/manifest@13.7.0 does
// (node_modules/@forge/manifest/out/validators/yaml-validator.js and
// out/interpolator/manifest-interpolator-manager.js):
//
//   const content = fs.readFileSync(manifest.filePath, 'utf8');   // YamlValidator.validate
//   let interpolatedManifest = (0, yaml_1.parse)(content);         // ManifestInterpolatorManager.interpolate
//
// i.e. the bytes are decoded as UTF-8 by Node (invalid sequences become U+FFFD, a leading
// UTF-8 BOM is NOT stripped by Node: it stays as U+FEFF in the string, and the `yaml` lexer
// skips a BOM at the start of the stream), then `yaml`'s parse() is called with no reviver
// and no options (defaults: YAML 1.2 core schema, uniqueKeys: true, strict: true,
// maxAliasCount: 100, prettyErrors: true, merge keys off unless the doc says `%YAML 1.1`).
//
// By default the printed value is that raw parse() result (through JSON.stringify, so
// Infinity/NaN -> null and shared alias targets are duplicated).
//
// --forge   instead print what Forge's own ManifestParser returns (what `forge lint` /
//           `forge deploy` schema-validate): after parse() Forge runs its interpolators:
//           the EnvironmentVariableInterpolator re-parses JSON.stringify(manifest) with a
//           reviver that substitutes declared ${VAR}s from process.env (or their declared
//           `default`), and the StringResourceInterpolator inlines rovo:agent `prompt:
//           resource:...` files from disk (relative to the manifest).
// --warnings  add a "warnings": [..] array (yaml YAMLWarning messages, e.g. unresolved
//           tags, or stringified collection keys) to lines that have any. Without it the
//           warnings are written to stderr as `warning: FILE: message` (yaml itself would
//           send them to process.emitWarning).
//
// A thrown error of any kind (I/O, YAMLParseError, alias budget ReferenceError, circular
// structure in JSON.stringify, ...) becomes an ok:false line; the script never stops early.
// Exit status: 0 when every line was printed (whatever ok says), 2 on bad usage.

import fs from 'node:fs';
import process from 'node:process';
import { parse } from 'yaml';

function usage(msg) {
  if (msg) process.stderr.write(`parse-to-json: ${msg}\n`);
  process.stderr.write(
    'usage: node parse-to-json.mjs [--forge] [--warnings] FILE...\n' +
      '       node parse-to-json.mjs [--forge] [--warnings] --list LISTFILE\n'
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const files = [];
let forgeMode = false;
let warningsInJson = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--forge') forgeMode = true;
  else if (a === '--warnings') warningsInJson = true;
  else if (a === '--list') {
    const listFile = args[++i];
    if (listFile === undefined) usage('--list needs a file');
    let text;
    try {
      text = fs.readFileSync(listFile, 'utf8');
    } catch (e) {
      usage(`cannot read list ${listFile}: ${e.message}`);
    }
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '') files.push(line.trim());
  } else if (a === '--help' || a === '-h') usage();
  else if (a === '--') files.push(...args.slice(i + 1)), (i = args.length);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else files.push(a);
}
if (files.length === 0) usage('no files given');

let forgeParser = null;
if (forgeMode) {
  // Same construction as YamlValidator.validate in @forge/manifest.
  const { ManifestParserBuilder } = await import('@forge/manifest');
  forgeParser = new ManifestParserBuilder().withInterpolators().build();
}

// Run fn() while capturing what yaml sends to process.emitWarning (log.warn in yaml/dist/log.js).
function withCapturedWarnings(fn) {
  const captured = [];
  const orig = process.emitWarning;
  process.emitWarning = (w) => {
    captured.push(w instanceof Error ? w.message : String(w));
  };
  try {
    return { result: fn(), warnings: captured };
  } catch (e) {
    e.__capturedWarnings = captured;
    throw e;
  } finally {
    process.emitWarning = orig;
  }
}

const out = [];
// writeSync on a pipe may write only part of the buffer (or fail with EAGAIN when the pipe is
// non-blocking and full), so loop until every byte is out.
function writeAll(text) {
  let buf = Buffer.from(text, 'utf8');
  while (buf.length) {
    try {
      const n = fs.writeSync(1, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
function flush() {
  if (out.length) {
    writeAll(out.join(''));
    out.length = 0;
  }
}

for (const file of files) {
  let line;
  let warnings = [];
  try {
    const content = fs.readFileSync(file, 'utf8'); // exactly as Forge's YamlValidator
    const { result, warnings: w } = withCapturedWarnings(() =>
      forgeMode ? forgeParser.parseManifest({ content, filePath: file }) : parse(content)
    );
    warnings = w;
    // JSON.stringify(undefined) is undefined: print null then (yaml never returns undefined, but be safe).
    const valueJson = JSON.stringify(result) ?? 'null';
    line = `{"file":${JSON.stringify(file)},"ok":true,"value":${valueJson}`;
  } catch (e) {
    warnings = e?.__capturedWarnings ?? [];
    const message = e instanceof Error ? e.message : String(e);
    line = `{"file":${JSON.stringify(file)},"ok":false,"error":${JSON.stringify(message)}`;
    if (e && typeof e.code === 'string' && e.name && e.name.startsWith('YAML'))
      line += `,"code":${JSON.stringify(e.code)}`;
  }
  if (warnings.length) {
    if (warningsInJson) line += `,"warnings":${JSON.stringify(warnings)}`;
    else for (const w of warnings) process.stderr.write(`warning: ${file}: ${w}\n`);
  }
  out.push(line + '}\n');
  if (out.length >= 64) flush();
}
flush();
