#!/usr/bin/env node
// Throughput baseline: Forge's own tooling (yaml@2 + @forge/manifest@13.7.0) over a set of manifests.
//
// Usage:
//   node bench-forge.mjs [--passes N] [--warmup W] [--parse-only] FILE_OR_DIR...
//
// Directories contribute every *.yml / *.yaml directly inside them (not recursive), sorted by name.
// All files are read into memory (as Buffers) before anything is timed. Then W untimed warm-up
// passes and N timed passes (defaults W=0, N=1) each process every file once, in order.
//
// What one file costs in a pass (the default, "forge" mode) is exactly the in-memory part of what
// `forge lint` / `forge deploy` do to a manifest.yml through @forge/manifest's validation processor
// (ProcessorBuilder.instance().withValidation(ValidationTypes.FULL).build().process(path), which is
// also what @forge/manifest's exported `validate()` and its README use):
//
//   1. decode:  content = buffer.toString('utf8')
//        = YamlValidator's fs.readFileSync(path, 'utf8') without the syscall
//        (out/validators/yaml-validator.js).
//   2. parse:   yamlContent = manifestParser.parseManifest({ content, filePath })
//        = YamlValidator's parse step: class ManifestParser (out/utils/manifest-parser.js) built by
//        new ManifestParserBuilder().withInterpolators() once, untimed. It is yaml's parse(content)
//        with default options (ManifestInterpolatorManager.interpolate,
//        out/interpolator/manifest-interpolator-manager.js), then Forge's interpolators:
//        EnvironmentVariableInterpolator re-parses JSON.stringify(manifest) with yaml's
//        parse(json, reviver) to substitute declared ${VAR}s from process.env / declared defaults
//        (a declared variable with no value and no default throws: counted as a parse error, as
//        `forge lint` would fail on it too). ONE deviation: the StringResourceInterpolator is
//        removed from the builder's interpolator map, because it reads rovo:agent
//        `prompt: resource:KEY;file.md` files from the app's source tree (11 corpus manifests do
//        this; they have no such files, so Forge would throw ENOENT). Without it those prompts stay
//        the `resource:...` string, which the schema accepts.
//        yamlContentByLine = content.split('\n') as YamlValidator does.
//   3. validate: await schemaValidator.validate({ filePath, yamlContent, yamlContentByLine })
//        where schemaValidator is THE SchemaValidator instance inside the FULL validation processor
//        (class SchemaValidator, out/validators/schema-validator.js, constructed by
//        FullValidationProcessor with out/schema/manifest-schema.json, i.e. an ajv@8 validator with
//        allErrors + ajv-formats, compiled once at setup, untimed). validate() runs the compiled
//        JSON-schema check and maps every ajv error to a Forge message with a line position
//        (findPosition over yamlContentByLine).
//
// Why only these: they are the schema validation of the manifest itself and need nothing on disk.
// The other FULL-processor validators are left out on purpose: FileValidator / YamlValidator re-read
// the file from disk, ResourcesValidator / TranslationsValidator / PackageValidator /
// rovo skill checks read the app's source tree (resources/, locales, handlers), which the corpus
// does not have, and the rest are small cross-reference checks on typedContent.
//
// --parse-only: time only step 1 + yaml's bare parse(content) (the call apptrust's loader must
// match), no interpolation, no validation; @forge/manifest is not even loaded.
//
// Errors are expected (many corpus manifests are old or partial): a throw from parsing counts in
// "parse_errors", a file that fails (parse error, or validate() returning success:false) counts in
// "invalid" (counted on the last timed pass). yaml's warnings (process.emitWarning) are silenced
// during the passes and counted in "yaml_warnings" (per pass).
//
// Output: one JSON line. "files_per_second" and "mb_per_second" (MB = 10^6 bytes) use the BEST
// (fastest) timed pass; "median_seconds" is also given. "setup_seconds" is the untimed time from
// process start of this script to the first pass: reading the files, loading yaml and
// @forge/manifest (with @sentry/node, ajv, cheerio, ...) and compiling the 2.3 MB manifest JSON
// schema with ajv (≈ what a cold `forge lint` pays before looking at the manifest).

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const t0 = process.hrtime.bigint();

function usage(msg) {
  if (msg) process.stderr.write(`bench-forge: ${msg}\n`);
  process.stderr.write(
    'usage: node bench-forge.mjs [--passes N] [--warmup W] [--parse-only] FILE_OR_DIR...\n'
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let passes = 1;
let warmup = 0;
let parseOnly = false;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const intArg = (name) => {
    const v = args[++i];
    if (v === undefined || !/^\d+$/.test(v)) usage(`${name} needs a non-negative integer`);
    return Number(v);
  };
  if (a === '--passes') passes = intArg('--passes');
  else if (a === '--warmup') warmup = intArg('--warmup');
  else if (a === '--parse-only') parseOnly = true;
  else if (a === '--help' || a === '-h') usage();
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else inputs.push(a);
}
if (passes < 1) usage('--passes must be >= 1');
if (inputs.length === 0) usage('no files or directories given');

// Collect files.
const filePaths = [];
for (const input of inputs) {
  let st;
  try {
    st = fs.statSync(input);
  } catch (e) {
    usage(`cannot stat ${input}: ${e.message}`);
  }
  if (st.isDirectory()) {
    const names = fs
      .readdirSync(input)
      .filter((n) => /\.ya?ml$/i.test(n))
      .sort();
    for (const n of names) {
      const p = path.join(input, n);
      if (fs.statSync(p).isFile()) filePaths.push(p);
    }
  } else filePaths.push(input);
}
if (filePaths.length === 0) usage('no *.yml / *.yaml files found');

// Read everything into memory first.
const files = filePaths.map((p) => ({ filePath: p, buf: fs.readFileSync(p) }));
const totalBytes = files.reduce((s, f) => s + f.buf.length, 0);

// Setup (untimed): load Forge's libraries and build the same objects forge lint uses.
const yaml = await import('yaml');
let schemaValidator = null;
let manifestParser = null;
if (!parseOnly) {
  const { ProcessorBuilder, ValidationTypes, ManifestParserBuilder, SchemaValidator } = await import(
    '@forge/manifest'
  );
  const processor = ProcessorBuilder.instance().withValidation(ValidationTypes.FULL).build();
  schemaValidator = processor.validators.find((v) => v instanceof SchemaValidator);
  if (!schemaValidator) throw new Error('SchemaValidator not found in the FULL validation processor');
  const builder = new ManifestParserBuilder().withInterpolators();
  // Drop the StringResourceInterpolator (InterpolatorType.STRING_RESOURCE): it reads app files.
  const interpolators = builder.manifestInterpolatorManager?.interpolators;
  if (!(interpolators instanceof Map)) throw new Error('unexpected ManifestInterpolatorManager shape');
  for (const [type, it] of [...interpolators]) {
    if (it.constructor?.name === 'StringResourceInterpolator') interpolators.delete(type);
  }
  if (interpolators.size !== 1) throw new Error('expected exactly the EnvironmentVariableInterpolator');
  manifestParser = builder.build();
}
const setupSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

let yamlWarnings = 0;
const origEmitWarning = process.emitWarning;

async function onePass() {
  let invalid = 0;
  let parseErrors = 0;
  for (const f of files) {
    const content = f.buf.toString('utf8');
    if (parseOnly) {
      try {
        yaml.parse(content);
      } catch {
        parseErrors++;
        invalid++;
      }
      continue;
    }
    let yamlContent;
    try {
      yamlContent = manifestParser.parseManifest({ content, filePath: f.filePath });
    } catch {
      parseErrors++;
      invalid++;
      continue;
    }
    try {
      const res = await schemaValidator.validate({
        filePath: f.filePath,
        yamlContent,
        yamlContentByLine: content.split('\n'),
      });
      if (!res.success) invalid++;
    } catch {
      invalid++;
    }
  }
  return { invalid, parseErrors };
}

process.emitWarning = () => {
  yamlWarnings++;
};
let last;
try {
  for (let i = 0; i < warmup; i++) await onePass();
  yamlWarnings = 0;
  const secs = [];
  for (let i = 0; i < passes; i++) {
    const s = process.hrtime.bigint();
    last = await onePass();
    secs.push(Number(process.hrtime.bigint() - s) / 1e9);
  }
  process.emitWarning = origEmitWarning;

  const sorted = [...secs].sort((a, b) => a - b);
  const best = sorted[0];
  const median =
    sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const round = (x, d = 6) => Number(x.toFixed(d));
  const out = {
    mode: parseOnly ? 'parse-only' : 'forge',
    files: files.length,
    bytes: totalBytes,
    passes,
    warmup,
    seconds_per_pass: secs.map((x) => round(x)),
    stat: 'best',
    best_seconds: round(best),
    median_seconds: round(median),
    files_per_second: round(files.length / best, 1),
    mb_per_second: round(totalBytes / 1e6 / best, 3),
    invalid: last.invalid,
    parse_errors: last.parseErrors,
    yaml_warnings: Math.round(yamlWarnings / passes),
    setup_seconds: round(setupSeconds, 3),
    node: process.version,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  process.emitWarning = origEmitWarning;
}
