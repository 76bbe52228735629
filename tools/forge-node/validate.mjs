// Forge's own verdict on manifests: runs `@forge/manifest`'s FULL validation (what `forge lint`
// and a verified `forge deploy` run) on each file and prints one JSON line per file:
//
//   {"file":"a.yml","valid":false,"schema":["/app","/app/runtime/name"],
//    "checks":[["modules.wrongFunctionReference","main"]],"source_tree":2,"messages":[...]}
//
// - `valid`: no error-level problem besides those that need the app's source tree;
// - `schema`: the instance paths (JSON pointers) of the schema errors Forge reports, after its
//   own filtering (SchemaValidator.handleError), de-duplicated and sorted;
// - `checks`: the other validators' errors as [message name, subject], for the messages apptrust
//   ports (see CHECKS below); anything else lands in `other` with its text;
// - `source_tree`: how many errors were dropped because they look at files next to the manifest
//   (handler files, resource folders, locale files, prompt files), which a manifest alone cannot
//   answer.
//
// Parsing is Forge's ManifestParser with the environment-variable interpolator (variables from
// `--var KEY=VALUE` options, else unset), without the rovo string-resource interpolator (it reads
// files). A parse error is `{"file":..., "parse_error": "..."}`.
//
//   node tools/forge-node/validate.mjs [--var KEY=VALUE]... FILE...

import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const args = process.argv.slice(2);
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--var') {
    const [k, ...v] = args[++i].split('=');
    process.env[k] = v.join('=');
  } else files.push(args[i]);
}

const forge = await import('@forge/manifest');
const { ProcessorBuilder, ValidationTypes, ManifestParserBuilder, SchemaValidator } = forge;
const processor = ProcessorBuilder.instance().withValidation(ValidationTypes.FULL).build();
const validators = processor.validators;
const schemaValidator = validators.find((v) => v instanceof SchemaValidator);
const later = validators.slice(validators.indexOf(schemaValidator) + 1);

const builder = new ManifestParserBuilder().withInterpolators();
for (const [type, it] of [...builder.manifestInterpolatorManager.interpolators]) {
  if (it.constructor?.name === 'StringResourceInterpolator') builder.manifestInterpolatorManager.interpolators.delete(type);
}
const parser = builder.build();

// Messages that depend on files next to the manifest. The manifest is validated as if it sat in
// an empty folder, so these fire for every file; they are counted, not compared.
const SOURCE_TREE = [
  /handler property '.*' cannot find associated file/,
  /missing resource '.*' is being referenced by '.*' in resources/,
  /missing resource entry file/,
  /An error occurred while reading JSON file/,
  /could not be found in default locale file/,
  /Extra files specification/,
  /resource '.*' (is empty|must be a directory|is a directory)/i,
  /prompt/i,
];

// The message names apptrust ports, with how to read their subject back from Forge's text (the
// last group). Where messages share a text, the name is a function of the match and the manifest.
const CHECKS = [
  ['modules.invalidModule', /^invalid value '(.*)' in modules$/],
  ['modules.missingModule', /^document must have at least 1 module$/],
  ['modules.duplicateKeyFound', /^found duplicate module key '(.*)'$/],
  ['modules.wrongFunctionReference', /^.* references undefined function module with key '(.*)'$/],
  ['modules.wrongEndpointReference', /^.* references undefined endpoint module with key '(.*)'$/],
  ['modules.wrongServiceReference', /^.* references undefined service with key '(.*)'$/],
  ['modules.wrongResourceReference', /^missing resource key '(.*)' is being referenced by .* module$/],
  ['modules.function.invalidKeyLength', /^The function key exceeds 23 characters: ‘(.*)’\.$/],
  ['modules.function.handler.invalidRegex', /^function handler property '(.*)' must be in format/],
  ['modules.endpoint.remote.notExists', /^endpoint remote property '(.*)' was not found\.$/],
  ['modules.trigger.endpointOnlySupportSystemToken', /^Trigger module: '.*' using remote endpoint: '(.*)' only supports appSystemToken/],
  ['modules.trigger.endpointNeedsRoute', /^Trigger module: '.*' using remote endpoint: '(.*)' requires 'route' parameter\.$/],
  ['modules.remote.allRegionsNotDeclared', /^All region specific URLs are not declared for (.*)$/],
  ['resources.duplicateKeyFound', /^found duplicate resource key '(.*)'$/],
  ['resources.tooManyResourcesError', /^.*resources.*50.*$/],
  ['permissions.invalidPermission', /^Invalid '(?:scopes|content\.scripts)' permission in the manifest.yml file - '(.*)'\./],
  // modules.rs and permissions.rs
  ['modules.singleEntryOfTheModule', /^Only a single entry of the (.*) module can be defined in the manifest$/],
  ['modules.globalUi.renderMustBeNative', /^The render property at index '.*' for key '(.*)' must be set to 'native' for global:ui modules\.$/],
  ['modules.subPages.subPagesWithUIKit', /^Subpages in UI kit are not supported\. Use Custom UI in the '(.*)' module instead\.$/],
  ['modules.subPages.invalidPagesAndSections', /^'pages' cannot be used with 'sections' in the module '(.*)'\.$/],
  ['modules.subPages.invalidPagesAndSectionsForConfigurePages', /^You can’t use either pages or sections in the (.*) entry that includes/],
  ['modules.singleEntryOfModuleWithoutConfigureAndStartedParams', /^The (.*) module can only have a single entry that doesn’t include/],
  ['modules.singleEntryOfModuleWithConfigureParam', /^The (.*) module can only have a single entry that includes the useAsConfig property\.$/],
  ['modules.singleEntryOfModuleWithGetStartedParam', /^The (.*) module can only have a single entry that includes the useAsGetStarted property\.$/],
  ['modules.jiraWorkflowValidator.missingProperty', /^jira:workflowValidator module '(.*)' must have either a function or expression\.$/],
  ['modules.jiraWorkflowValidator.invalidProperty', /^jira:workflowValidator module '(.*)' can only have either a function or expression$/],
  ['modules.jiraWorkflowCondition.missingExpression', /^jira:workflowCondition module '(.*)' must have a non-blank expression\.$/],
  ['modules.customFields.connectFieldPropertyRequiresMigration', /^jira:customField module '(.*)' cannot have connectFieldProperty unless/],
  ['modules.trigger.ignoreSelfFilteringWorksOnlyWithJiraEvents', /^Trigger filtering with ignoreSelf works only with Jira events$/],
  ['modules.jiraGlobalBackgroundScript.experienceRequired', /^jira:globalBackgroundScript module '(.*)' must have at least one value configured in experience\.$/],
  ['modules.jiraGlobalBackgroundScript.experienceAllExclusive', /^jira:globalBackgroundScript module '(.*)' has 'all' in experience/],
  ['modules.jiraActionValidator.limitPerActionType', /^Only 1 jira:actionValidator module is allowed per action type\. Found multiple modules for action type: (.*)\.$/],
  // One text for four messages: told apart by the type of the module that names the action.
  [(m, yaml) => actionReference(m[1], yaml), /^(.*) references undefined action module with key '(.*)'\.$/],
  ['modules.action.tooManyAutomationActions', /^App is allowed to define max \d+ actions within automation:actionProvider modules$/],
  ['modules.rovo.incorrectA2AEndpointReference', /^.* references undefined endpoint '(.*)' in agent2Agent protocol\.$/],
  ['modules.rovo.incorrectA2AEndpointConfiguration', /^.* endpoint '(.*)' must reference a remote\./],
  ['modules.graphConnector.invalidAuthProvider', /^graph:connector module '.*' references auth provider '(.*)' which is not defined/],
  ['modules.migration:dataResidency.moreThanOneRemote', /^More than one remote found in migration:dataResidency\.$/],
  ['modules.migration:dataResidency.remoteNotFound', /^No remote found with key '(.*)' matching migration:dataResidency\.remote\.$/],
  ['modules.validateModuleReferences', /^Module with key (.*) does not exist or is not (?:one of the allowed types:|of the allowed type) /],
  ['modules.moduleScopesValidator.missingScopes', /^\S+ module '(.*)' requires '.*' scope\(s\)\.$/],
  // One text for three messages: told apart by the module type.
  [(m) => propertyUniqueness(m[1]), /^\S+ should be unique across all (\S+) modules\. Found duplicates: /],
  ['modules.confluence.multipleProperty', /^There can be only 1 (\S+) module which designates/],
  ['modules.internalFieldFound', /^'(.*)' is an internal property and cannot be set explicitly\./],
  ['modules.llm.tooManyModulesDeclared', /^Found \d+ LLM modules\. Maximum 1 is allowed\.$/],
  ['modules.llm.tooManyModelsDeclared', /^Found \d+ LLM models\. Maximum \d+ are allowed\.$/],
  ['modules.llm.duplicateModel', /^Found duplicate llm model name '(.*)'\.$/],
  ['StorageValidator.validateSqlModules', /^Found \d+ SQL modules; only one is allowed\.$/],
  ['StorageValidator.validateOsModules', /^Found \d+ ObjectStore modules; only one is allowed\.$/],
  ['modules.jiraJqlFunction.duplicateFunctionNames', /^JQL function names must be unique\. Found duplicates: (.*)\.$/],
  ['modules.jiraEntityProperty.maxExtractionsPerApp', /^All jira:entityProperty modules combined cannot declare more than \d+ values\.$/],
  ['modules.remote.neitherBaseUrlNorUserConfigurationPresent', /^A remote must declare either baseUrl or configurable for (.*)$/],
  ['app.remotes.missingRemotesStorageInScopeEUD', /^missing storage\.inScopeEUD in remote (.*)\. storage\.inScopeEUD is required/],
  ['app.remotes.missingAppScopesForRemoteAuth', /^Missing app scopes\. If OAuth tokens are required/],
  ['app.compatibility.oneRequiredContext', /^Only one context \(Jira, Confluence, or Compass\) must have/],
  ['app.compatibility.invalidConfluenceModuleInJira', /^Using the module `confluence:fullPage` is invalid/],
  ['app.compatibility.invalidJiraModuleInConfluence', /^Using the module `jira:fullPage` is invalid/],
  ['app.compatibility.invalidProduct', /^Invalid product '(.*)' in app\.compatibility\./],
  ['app.missingAppConnectRemote', /^missing app\.connect\.remote\./],
  ['app.missingRemoteForConnect', /^no remote found with key '(.*)' matching app\.connect\.remote value\.$/],
  ['app.noConfigurableConnectRemote', /^Connect remotes cannot be configurable$/],
  ['app.missingConnectModules', /^Missing connectModules\. When app\.connect\.authentication/],
];

function actionReference(moduleKey, yaml) {
  const names = {
    'rovo:agent': 'modules.rovo.incorrectAgentActionReference',
    'rovo:skill': 'modules.rovo.incorrectSkill',
    'rovo:mcp': 'modules.rovo.incorrectMcp',
    'automation:actionProvider': 'modules.action.undefinedAutomationActionReference',
  };
  for (const [type, name] of Object.entries(names)) {
    if ((yaml?.modules?.[type] ?? []).some((m) => m?.key === moduleKey)) return name;
  }
  return 'modules.undefinedActionReference';
}

function propertyUniqueness(moduleType) {
  if (moduleType === 'jira:fullPage') return 'modules.jiraFullPageModule.propertyUniqueness';
  if (moduleType === 'global:fullPage') return 'modules.globalFullPage.propertyUniqueness';
  return 'modules.confluence.propertyUniqueness';
}

const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apptrust-forge-'));

for (const file of files) {
  const content = fs.readFileSync(file, 'utf8');
  let yamlContent;
  try {
    yamlContent = parser.parseManifest({ content, filePath: file });
  } catch (e) {
    console.log(JSON.stringify({ file, parse_error: String(e?.message ?? e) }));
    continue;
  }
  const manifest = {
    filePath: path.join(emptyDir, 'manifest.yml'),
    yamlContent,
    yamlContentByLine: content.split('\n'),
  };
  // The schema step, as SchemaValidator.validate does it, keeping each kept error's path.
  const ok = schemaValidator.validateSchema(yamlContent);
  const all = schemaValidator.validateSchema.errors ?? [];
  const schema = new Set();
  let schemaErrors = 0;
  if (!ok) {
    for (const error of all) {
      const values = error.instancePath.replace(/\/\d+/, '').split('/').slice(1);
      const kept = schemaValidator.handleError(values, error, manifest, all);
      if (kept && kept.level === 'error') {
        schema.add(error.instancePath);
        schemaErrors++;
      }
    }
  }
  const checks = [];
  const other = [];
  const messages = [];
  let sourceTree = 0;
  let typed = { ...manifest, typedContent: schemaErrors === 0 ? yamlContent : undefined };
  if (schemaErrors === 0) {
    for (const validator of later) {
      let result;
      try {
        result = await validator.validate(typed);
      } catch (e) {
        other.push(`${validator.constructor.name} threw: ${e?.message ?? e}`);
        continue;
      }
      typed = result.manifestObject ?? typed;
      for (const error of result.errors ?? []) {
        if (error.level !== 'error') continue;
        if (SOURCE_TREE.some((re) => re.test(error.message))) {
          sourceTree++;
          continue;
        }
        messages.push(error.message);
        const known = CHECKS.find(([, re]) => re.test(error.message));
        if (known) {
          const m = error.message.match(known[1]);
          const name = typeof known[0] === 'function' ? known[0](m, yamlContent) : known[0];
          checks.push([name, m.length > 1 ? m[m.length - 1] : '']);
        }
        else other.push(error.message);
      }
    }
  }
  console.log(
    JSON.stringify({
      file,
      valid: schemaErrors === 0 && checks.length === 0 && other.length === 0,
      schema: [...schema].sort(),
      checks: checks.sort(),
      other,
      source_tree: sourceTree,
    })
  );
}
fs.rmSync(emptyDir, { recursive: true, force: true });
