#!/usr/bin/env node
// Validates the deployment manifests under deploy/, offline:
//
// - every YAML under deploy/k8s against the Kubernetes OpenAPI schemas of the
//   kubernetes-models package (Kubernetes 1.27), fields the schema does not
//   know included (a typo such as `readinesProbe` would otherwise be ignored);
// - kustomizations: their resources exist, and every manifest is in one;
// - rules of ours: probe paths, non-root and read-only root file system, /tmp
//   on an emptyDir, resources set, secrets referenced (secretKeyRef) never
//   inlined and no Secret manifests, the migration Job's command, Service /
//   HPA / PDB pointing at the Deployment, grace period above the drain, pool
//   size x replicas (+ a migration run) below max_connections;
// - deploy/cloudrun/service.yaml: Knative structure, its container against the
//   Kubernetes Container schema, probes, secret refs, placeholders that
//   deploy.sh and deploy.ps1 fill in;
// - the environment each workload gives the app, through the app's own
//   loadConfig() from dist/ (run `npm run build` first): it must load, and
//   every variable the manifests set must be one it reads;
// - deploy/cloudrun/deploy.sh: `bash -n`, a --dry-run that calls no gcloud and
//   renders service.yaml without placeholders, --skip-build refused without --image.
//
//   node scripts/validate-deploy.mjs        exit 1 and a list of problems, or a summary
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { finalStageEnv } from './dockerfile-env.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const k8sDir = path.join(root, 'deploy', 'k8s');
const cloudRunDir = path.join(root, 'deploy', 'cloudrun');

/** The database's max_connections the pool sizes are checked against (PostgreSQL's default). */
const MAX_CONNECTIONS = Number(process.env.DEPLOY_MAX_CONNECTIONS ?? 100);
// The app's own numbers, from the build (`npm run lint:deploy` builds first).
const fromBuild = (file) => {
  const compiled = path.join(root, 'dist', file);
  if (!existsSync(compiled)) {
    process.stderr.write(`validate-deploy: ${path.relative(root, compiled)} is missing: run npm run build first\n`);
    process.exit(1);
  }
  return require(compiled);
};
/** A migration run's connections: its advisory-lock client plus its pool. */
const { MIGRATION_CONNECTIONS } = fromBuild('libs/database/src/migration-runner.js');
/** main.ts abandons a close still stuck this long after SHUTDOWN_DRAIN_MS (exit 1). */
const { STUCK_CLOSE_GRACE_MS: CLOSE_ABANDON_MS } = fromBuild('libs/common/src/lifecycle/lifecycle.js');
const MIGRATE_COMMAND = ['node', 'dist/apps/api/src/migrate.js'];
/** The image's USER (the node user of the node images). */
const IMAGE_UID = 1000;
const SECRET_ENV = /^(DATABASE_URL|API_KEYS)$|PASSWORD|SECRET|TOKEN$/;
const CREDENTIAL_URL = /:\/\/[^/\s:@]+:[^/\s@]+@/;
const CLOUD_RUN_PLACEHOLDERS = ['SERVICE', 'REGION', 'IMAGE', 'CLOUDSQL_INSTANCE', 'SERVICE_ACCOUNT', 'PROJECT_ID'];

const problems = [];
const print = (stream, line) => stream.write(`${line}\n`);
const rel = (file) => path.relative(root, file);
const report = (doc, message) => problems.push(`${doc.where}: ${message}`);

// ---------------------------------------------------------------------------
// Load.
function yamlFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(full);
    return /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
}

function load(file) {
  const docs = [];
  parseAllDocuments(readFileSync(file, 'utf8')).forEach((parsed, index) => {
    const where = `${rel(file)}${index > 0 ? ` (document ${index + 1})` : ''}`;
    for (const error of [...parsed.errors, ...parsed.warnings]) problems.push(`${where}: YAML: ${error.message}`);
    const obj = parsed.toJS();
    if (obj === null || obj === undefined) return;
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      problems.push(`${where}: not a mapping`);
      return;
    }
    docs.push({ file, where: `${where} ${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`, obj });
  });
  return docs;
}

const k8sFiles = yamlFiles(k8sDir);
if (k8sFiles.length === 0) problems.push('deploy/k8s: no YAML files');
const k8sDocs = k8sFiles.flatMap(load);
const kustomizations = k8sDocs.filter((d) => d.obj.kind === 'Kustomization');
const manifests = k8sDocs.filter((d) => d.obj.kind !== 'Kustomization');

// ---------------------------------------------------------------------------
// Schemas (kubernetes-models): the compiled validator of each kind, run on a
// proxy that records which fields the schema looked at; fields it never read
// in an object whose schema lists properties are unknown to Kubernetes.
const modelsDir = path.dirname(require.resolve('kubernetes-models'));
// The compiled validators are not in the package's exports: load them by path.
const schemaValidator = (name) => require(path.join(modelsDir, '_schemas', `${name}.js`)).validate;
const schemaCache = new Map();
function schemaFor(apiVersion, kind) {
  const id = `${apiVersion}/${kind}`;
  if (!schemaCache.has(id)) {
    let validate;
    try {
      const modelFile = require.resolve(`kubernetes-models/${apiVersion}/${kind}`);
      const schemaName = /_schemas\/(\w+)\.js/.exec(readFileSync(modelFile, 'utf8'))?.[1];
      validate = schemaName && schemaValidator(schemaName);
    } catch {
      validate = undefined;
    }
    schemaCache.set(id, validate);
  }
  return schemaCache.get(id);
}

function tracked(value, pointer, objects) {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set();
  const copy = Array.isArray(value)
    ? value.map((v, i) => tracked(v, `${pointer}/${i}`, objects))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tracked(v, `${pointer}/${k}`, objects)]));
  if (!Array.isArray(value)) objects.push({ pointer, keys: Object.keys(value), read });
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
}

function describe(error) {
  const at = error.instancePath || '/';
  const p = error.params ?? {};
  if (error.keyword === 'required') return `${at}: missing required field "${p.missingProperty}"`;
  if (error.keyword === 'type') return `${at}: must be ${p.type}`;
  if (error.keyword === 'enum') return `${at}: must be one of ${p.allowedValues?.join(', ')}`;
  return `${at}: ${error.message ?? error.keyword} ${JSON.stringify(p)}`;
}

/** Schema errors and unknown fields of `value` against a compiled validator. */
function checkSchema(validate, value, prefix = '') {
  const objects = [];
  const errors = validate(tracked(value, '', objects)) ? [] : (validate.errors ?? []);
  const messages = errors.map((e) => describe({ ...e, instancePath: prefix + e.instancePath }));
  const unknown = objects
    .filter((o) => o.read.size > 0)
    .flatMap((o) => o.keys.filter((k) => !o.read.has(k)).map((k) => `${prefix}${o.pointer}/${k}: unknown field`));
  return [...new Set([...messages, ...unknown])];
}

for (const doc of manifests) {
  const { apiVersion, kind } = doc.obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    report(doc, 'apiVersion and kind are required');
    continue;
  }
  const validate = schemaFor(apiVersion, kind);
  if (!validate) {
    report(doc, `no Kubernetes schema for ${apiVersion} ${kind}`);
    continue;
  }
  for (const message of checkSchema(validate, doc.obj)) report(doc, message);
  if (doc.obj.metadata?.namespace) report(doc, 'sets metadata.namespace: keep the manifests namespace-agnostic');
}

// ---------------------------------------------------------------------------
// Kustomizations: resources exist; every manifest file belongs to one.
const included = new Set();
for (const doc of kustomizations) {
  const dir = path.dirname(doc.file);
  included.add(doc.file);
  for (const resource of doc.obj.resources ?? []) {
    const target = path.resolve(dir, resource);
    if (!existsSync(target)) report(doc, `resource ${resource} does not exist`);
    else if (statSync(target).isDirectory()) {
      if (!['kustomization.yaml', 'kustomization.yml'].some((f) => existsSync(path.join(target, f)))) {
        report(doc, `resource ${resource} is a directory without kustomization.yaml`);
      }
    } else included.add(target);
  }
}
for (const file of k8sFiles) {
  if (!included.has(file)) problems.push(`${rel(file)}: not listed in any kustomization.yaml`);
}

// ---------------------------------------------------------------------------
// Rules of ours.
const byKind = (kind) => manifests.filter((d) => d.obj.kind === kind);
const [deployment] = byKind('Deployment');
const configMaps = byKind('ConfigMap');
const config = Object.assign({}, ...configMaps.map((d) => d.obj.data ?? {}));
const hpas = byKind('HorizontalPodAutoscaler');

function quantityBytes(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(String(q ?? ''));
  if (!m) return NaN;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}
const labelsMatch = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v) && Object.keys(selector ?? {}).length > 0;

function checkEnv(doc, container, { needsApiKeys }) {
  const env = container.env ?? [];
  for (const e of env) {
    if (SECRET_ENV.test(e.name) && e.value !== undefined) {
      report(doc, `container ${container.name}: ${e.name} is inlined: use valueFrom.secretKeyRef`);
    }
  }
  const fromSecret = (name) => env.some((e) => e.name === name && e.valueFrom?.secretKeyRef?.name);
  if (!fromSecret('DATABASE_URL'))
    report(doc, `container ${container.name}: DATABASE_URL must come from a secretKeyRef`);
  if (needsApiKeys && !fromSecret('API_KEYS') && !env.some((e) => e.name === 'API_KEYS_FILE')) {
    report(doc, `container ${container.name}: API_KEYS must come from a secretKeyRef (or set API_KEYS_FILE)`);
  }
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name && !configMaps.some((d) => d.obj.metadata?.name === name)) {
      report(doc, `container ${container.name}: envFrom ConfigMap "${name}" is not among the manifests`);
    }
  }
}

function checkPod(doc, pod, { needsApiKeys }) {
  const podSc = pod.securityContext ?? {};
  if (podSc.runAsNonRoot !== true) report(doc, 'pod securityContext.runAsNonRoot must be true');
  if (podSc.runAsUser !== IMAGE_UID)
    report(doc, `pod securityContext.runAsUser must be ${IMAGE_UID} (the image's node user)`);
  if (pod.automountServiceAccountToken !== false) report(doc, 'automountServiceAccountToken must be false');
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const c of pod.containers ?? []) {
    const sc = c.securityContext ?? {};
    const who = `container ${c.name}`;
    if (sc.readOnlyRootFilesystem !== true) report(doc, `${who}: securityContext.readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false)
      report(doc, `${who}: securityContext.allowPrivilegeEscalation must be false`);
    if (!sc.capabilities?.drop?.includes('ALL'))
      report(doc, `${who}: securityContext.capabilities.drop must include ALL`);
    if (sc.privileged === true || sc.runAsUser === 0 || sc.runAsNonRoot === false)
      report(doc, `${who}: runs privileged or as root`);
    if ((sc.seccompProfile ?? podSc.seccompProfile)?.type !== 'RuntimeDefault') {
      report(doc, `${who}: seccompProfile must be RuntimeDefault`);
    }
    const res = c.resources ?? {};
    for (const key of ['requests.cpu', 'requests.memory', 'limits.memory']) {
      const [a, b] = key.split('.');
      if (res[a]?.[b] === undefined) report(doc, `${who}: resources.${key} must be set`);
    }
    if (quantityBytes(res.limits?.memory) < 200 * 2 ** 20) {
      report(doc, `${who}: limits.memory below 200Mi leaves no room for the 160 MB heap`);
    }
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    if (!tmp || !volumes.get(tmp.name)?.emptyDir)
      report(doc, `${who}: /tmp must be an emptyDir mount (read-only root)`);
    checkEnv(doc, c, { needsApiKeys });
  }
}

for (const doc of byKind('Secret')) {
  report(doc, 'Secret manifests are not shipped: create the Secret with kubectl (deploy/README.md)');
}

for (const doc of configMaps) {
  for (const [key, value] of Object.entries(doc.obj.data ?? {})) {
    if (SECRET_ENV.test(key)) report(doc, `${key} belongs in the Secret, not the ConfigMap`);
    if (CREDENTIAL_URL.test(String(value))) report(doc, `${key} holds a URL with a password`);
  }
}
if (config.MIGRATE_ON_BOOT !== 'false') problems.push('ConfigMap: MIGRATE_ON_BOOT must be "false" (the Job migrates)');
if (config.NODE_ENV !== 'production') problems.push('ConfigMap: NODE_ENV must be "production"');

if (!deployment) problems.push('deploy/k8s: no Deployment');
else {
  const spec = deployment.obj.spec ?? {};
  const pod = spec.template?.spec ?? {};
  const podLabels = spec.template?.metadata?.labels;
  checkPod(deployment, pod, { needsApiKeys: true });
  if (!((spec.replicas ?? 1) >= 2)) report(deployment, 'replicas must be at least 2');
  const [api] = pod.containers ?? [];
  if (api) {
    const ports = api.ports ?? [];
    const portOk = (p) => ports.some((cp) => cp.name === p || cp.containerPort === p);
    const probes = {
      startupProbe: ['/health/live', '/health/ready'],
      livenessProbe: ['/health/live'],
      readinessProbe: ['/health/ready'],
    };
    for (const [probe, paths] of Object.entries(probes)) {
      const get = api[probe]?.httpGet;
      if (!get) report(deployment, `container ${api.name}: ${probe}.httpGet is required`);
      else {
        if (!paths.includes(get.path))
          report(deployment, `${probe} path must be ${paths.join(' or ')} (got ${get.path})`);
        if (!portOk(get.port)) report(deployment, `${probe} port ${get.port} is not a container port`);
      }
    }
    if (config.PORT && !ports.some((p) => String(p.containerPort) === config.PORT)) {
      report(deployment, `no container port matches PORT=${config.PORT}`);
    }
    const delayMs = Number(config.SHUTDOWN_DELAY_MS ?? 0);
    const drainMs = Number(config.SHUTDOWN_DRAIN_MS ?? 10_000);
    const preStop = api.lifecycle?.preStop?.exec?.command;
    const pauseS = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace > pauseS + (delayMs + drainMs + CLOSE_ABANDON_MS) / 1000)) {
      report(
        deployment,
        `terminationGracePeriodSeconds ${grace} must exceed preStop ${pauseS} s + SHUTDOWN_DELAY_MS ${delayMs} ms + ` +
          `SHUTDOWN_DRAIN_MS ${drainMs} ms + ${CLOSE_ABANDON_MS} ms (the app's last wait for a stuck close)`,
      );
    }
  }

  for (const doc of byKind('Service')) {
    if (!labelsMatch(doc.obj.spec?.selector, podLabels)) report(doc, 'selector does not match the Deployment pods');
    for (const p of doc.obj.spec?.ports ?? []) {
      const ports = api?.ports ?? [];
      if (!ports.some((cp) => cp.name === p.targetPort || cp.containerPort === p.targetPort)) {
        report(doc, `targetPort ${p.targetPort} is not a container port of the Deployment`);
      }
    }
  }
  for (const doc of byKind('PodDisruptionBudget')) {
    if (!labelsMatch(doc.obj.spec?.selector?.matchLabels, podLabels))
      report(doc, 'selector does not match the Deployment pods');
    const min = Math.min(spec.replicas ?? 1, ...hpas.map((h) => h.obj.spec?.minReplicas ?? 1));
    if (typeof doc.obj.spec?.minAvailable === 'number' && doc.obj.spec.minAvailable >= min) {
      report(
        doc,
        `minAvailable ${doc.obj.spec.minAvailable} leaves no disruption at ${min} replicas (drains would block)`,
      );
    }
  }
}

const pool = Number(config.DB_POOL_SIZE ?? 10);
for (const doc of hpas) {
  const target = doc.obj.spec?.scaleTargetRef;
  if (target?.kind !== 'Deployment' || target?.name !== deployment?.obj.metadata?.name) {
    report(doc, 'scaleTargetRef must name the Deployment');
  }
  if (!((doc.obj.spec?.minReplicas ?? 1) >= 2)) report(doc, 'minReplicas must be at least 2');
  const max = doc.obj.spec?.maxReplicas ?? 0;
  if (max * pool + MIGRATION_CONNECTIONS >= MAX_CONNECTIONS) {
    report(
      doc,
      `maxReplicas ${max} x DB_POOL_SIZE ${pool} + ${MIGRATION_CONNECTIONS} (a migration run) must stay below ` +
        `max_connections ${MAX_CONNECTIONS}`,
    );
  }
}

const jobs = byKind('Job');
if (jobs.length === 0) problems.push('deploy/k8s: no migration Job');
for (const doc of jobs) {
  const pod = doc.obj.spec?.template?.spec ?? {};
  checkPod(doc, pod, { needsApiKeys: false });
  const [c] = pod.containers ?? [];
  const command = [...(c?.command ?? []), ...(c?.args ?? [])];
  if (JSON.stringify(command) !== JSON.stringify(MIGRATE_COMMAND)) {
    report(doc, `command must be ${JSON.stringify(MIGRATE_COMMAND)} (got ${JSON.stringify(command)})`);
  }
  if (deployment && c?.image !== deployment.obj.spec?.template?.spec?.containers?.[0]?.image) {
    report(doc, 'the Job must run the same image as the Deployment');
  }
}

// Kustomize sets the image by name: every workload's image must be listed.
for (const k of kustomizations) {
  const names = (k.obj.images ?? []).map((i) => i.name);
  if (names.length === 0) continue;
  const dir = path.dirname(k.file);
  for (const doc of manifests.filter((d) => path.dirname(d.file) === dir)) {
    for (const c of doc.obj.spec?.template?.spec?.containers ?? []) {
      if (!names.includes(c.image)) report(doc, `image ${c.image} is not in ${rel(k.file)} images`);
    }
  }
}

// ---------------------------------------------------------------------------
// Cloud Run.
const cloudRunFile = path.join(cloudRunDir, 'service.yaml');
let cloudRunChecked = false;
let cloudRunContainer;
if (!existsSync(cloudRunFile)) problems.push('deploy/cloudrun/service.yaml is missing');
else {
  const [doc, ...extra] = load(cloudRunFile);
  if (extra.length > 0) problems.push(`${rel(cloudRunFile)}: one document expected`);
  if (doc) {
    cloudRunChecked = true;
    const o = doc.obj;
    if (o.apiVersion !== 'serving.knative.dev/v1' || o.kind !== 'Service') {
      report(doc, 'must be apiVersion serving.knative.dev/v1, kind Service');
    }
    const annotations = o.spec?.template?.metadata?.annotations ?? {};
    if (!annotations['run.googleapis.com/cloudsql-instances'])
      report(doc, 'run.googleapis.com/cloudsql-instances annotation missing');
    const maxScale = Number(annotations['autoscaling.knative.dev/maxScale']);
    if (!Number.isInteger(maxScale) || maxScale < 1)
      report(doc, 'autoscaling.knative.dev/maxScale must be a whole number');
    for (const [key, value] of Object.entries(annotations)) {
      if (typeof value !== 'string') report(doc, `annotation ${key} must be a string (quote it)`);
    }
    const spec = o.spec?.template?.spec ?? {};
    if (!Number.isInteger(spec.containerConcurrency)) report(doc, 'template.spec.containerConcurrency must be set');
    const containers = spec.containers ?? [];
    if (containers.length !== 1) report(doc, 'exactly one container expected');
    const c = containers[0] ?? {};
    cloudRunContainer = { doc, container: c };
    for (const message of checkSchema(
      schemaValidator('IoK8sApiCoreV1Container'),
      c,
      '/spec/template/spec/containers/0',
    )) {
      report(doc, message);
    }
    if (c.ports?.[0]?.containerPort !== 8080) report(doc, 'containerPort must be 8080');
    const env = c.env ?? [];
    const envValue = (name) => env.find((e) => e.name === name)?.value;
    if (env.some((e) => e.name === 'PORT')) report(doc, 'PORT is set by Cloud Run (from containerPort): do not set it');
    for (const name of ['DATABASE_URL', 'API_KEYS']) {
      const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
      if (!ref?.name || !ref?.key) report(doc, `${name} must come from a Secret Manager secretKeyRef (name + key)`);
    }
    for (const e of env) {
      if (SECRET_ENV.test(e.name) && e.value !== undefined)
        report(doc, `${e.name} is inlined: use valueFrom.secretKeyRef`);
      if (CREDENTIAL_URL.test(String(e.value ?? ''))) report(doc, `${e.name} holds a URL with a password`);
    }
    if (envValue('TRUST_PROXY') !== '1')
      report(doc, 'TRUST_PROXY must be "1" behind Cloud Run (its front end is one hop)');
    const stopMs =
      Number(envValue('SHUTDOWN_DELAY_MS') ?? 0) + Number(envValue('SHUTDOWN_DRAIN_MS') ?? 10_000) + CLOSE_ABANDON_MS;
    if (!(stopMs < 10_000)) {
      report(
        doc,
        `SHUTDOWN_DELAY_MS + SHUTDOWN_DRAIN_MS + ${CLOSE_ABANDON_MS} (the app's last wait for a stuck close) is ` +
          `${stopMs} ms: it must stay below 10000 (Cloud Run kills 10 s after SIGTERM)`,
      );
    }
    if (!['/health/ready', '/health/live'].includes(c.startupProbe?.httpGet?.path)) {
      report(doc, 'startupProbe.httpGet.path must be /health/ready or /health/live');
    }
    if (c.livenessProbe?.httpGet?.path !== '/health/live')
      report(doc, 'livenessProbe.httpGet.path must be /health/live');
    if (!c.resources?.limits?.cpu || !c.resources?.limits?.memory)
      report(doc, 'resources.limits cpu and memory must be set');
    const cloudPool = Number(envValue('DB_POOL_SIZE') ?? 10);
    if (maxScale * cloudPool + MIGRATION_CONNECTIONS >= MAX_CONNECTIONS) {
      report(
        doc,
        `maxScale ${maxScale} x DB_POOL_SIZE ${cloudPool} + ${MIGRATION_CONNECTIONS} (a migration run) must stay ` +
          `below max_connections ${MAX_CONNECTIONS}`,
      );
    }

    // Placeholders: only the ones deploy.sh and deploy.ps1 fill in.
    const text = readFileSync(cloudRunFile, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    const used = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))];
    for (const name of used.filter((n) => !CLOUD_RUN_PLACEHOLDERS.includes(n))) {
      report(
        doc,
        `unknown placeholder \${${name}} (deploy.sh and deploy.ps1 fill in ${CLOUD_RUN_PLACEHOLDERS.join(', ')})`,
      );
    }
    for (const script of ['deploy.sh', 'deploy.ps1']) {
      const file = path.join(cloudRunDir, script);
      if (!existsSync(file)) {
        problems.push(`deploy/cloudrun/${script} is missing`);
        continue;
      }
      const source = readFileSync(file, 'utf8');
      for (const name of used) {
        if (CLOUD_RUN_PLACEHOLDERS.includes(name) && !source.includes(name))
          problems.push(`deploy/cloudrun/${script}: does not fill in \${${name}}`);
      }
      if (!source.includes(MIGRATE_COMMAND[1]))
        problems.push(`deploy/cloudrun/${script}: does not run ${MIGRATE_COMMAND[1]}`);
    }
  }
}

// ---------------------------------------------------------------------------
// The app's configuration: the environment each workload gives the app (the
// image's ENV, then the ConfigMaps of envFrom, then env; secrets replaced by
// valid stand-ins) through the compiled loadConfig(), run on a proxy that
// records the variables it reads. A ConfigError means the pods would not boot.
/** The image's own ENV, read from the Dockerfile's final stage. */
const IMAGE_ENV = finalStageEnv(path.join(root, 'Dockerfile'));
const DUMMY_SECRETS = { DATABASE_URL: 'postgres://u:p@db:5432/capsules', API_KEYS: `ci:write:${'k'.repeat(32)}` };
/** Read by Node.js itself, not by the app's configuration. */
const RUNTIME_VARS = new Set(['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'TZ', 'UV_THREADPOOL_SIZE']);
let configsLoaded = 0;

function containerEnv(container, base = IMAGE_ENV) {
  const env = { ...base };
  for (const source of container.envFrom ?? []) {
    const map = configMaps.find((d) => d.obj.metadata?.name === source.configMapRef?.name);
    for (const [key, value] of Object.entries(map?.obj.data ?? {})) env[key] = String(value);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) env[e.name] = DUMMY_SECRETS[e.name] ?? 'secret';
  }
  return env;
}

{
  const { loadConfig, ConfigError } = fromBuild('libs/common/src/config/app-config.js');
  // The boot's checks too: @app/auth parses API_KEYS / API_KEYS_FILE (main.ts passes the same).
  const { parseConfiguredApiKeys } = fromBuild('libs/auth/src/configured-api-keys.js');
  const read = new Set();
  // [manifest, container, base environment]: the Deployment, the Jobs, the Cloud Run service.
  const workloads = [...(deployment ? [deployment] : []), ...jobs].flatMap((doc) =>
    (doc.obj.spec?.template?.spec?.containers ?? []).map((c) => [doc, c]),
  );
  if (cloudRunContainer) {
    const { doc, container } = cloudRunContainer;
    // Cloud Run sets PORT from containerPort.
    workloads.push([doc, container, { ...IMAGE_ENV, PORT: String(container.ports?.[0]?.containerPort ?? 8080) }]);
  }
  for (const [doc, container, base] of workloads) {
    const env = new Proxy(containerEnv(container, base), {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return target[key];
      },
    });
    try {
      loadConfig(env, {
        readFile: () => `ci-file:read:${'f'.repeat(32)}`,
        checks: [parseConfiguredApiKeys],
      });
      configsLoaded++;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems) report(doc, `container ${container.name}: the app would not start: ${p}`);
    }
  }
  const unread = (doc, names) => {
    for (const name of names.filter((n) => !read.has(n) && !RUNTIME_VARS.has(n))) {
      report(doc, `${name}: not a variable the app reads (loadConfig in libs/common/src/config/app-config.ts)`);
    }
  };
  for (const doc of configMaps) unread(doc, Object.keys(doc.obj.data ?? {}));
  for (const [doc, container] of workloads) {
    const names = (container.env ?? []).map((e) => e.name);
    unread(doc, names);
  }
}

// ---------------------------------------------------------------------------
// deploy/cloudrun/deploy.sh: it parses; --dry-run calls no gcloud (a gcloud on
// PATH that fails stands in for the real one) and prints service.yaml rendered
// with the image it would build; --skip-build without --image is refused.
const deploySh = path.join(cloudRunDir, 'deploy.sh');
const RENDERED_MARK = '# rendered service.yaml (dry run):';
let dryRunChecked = false;
if (existsSync(deploySh)) {
  const stubDir = mkdtempSync(path.join(os.tmpdir(), 'validate-deploy-'));
  writeFileSync(path.join(stubDir, 'gcloud'), '#!/bin/sh\necho "gcloud called during a dry run: $*" >&2\nexit 97\n', {
    mode: 0o755,
  });
  const env = { ...process.env, PATH: `${stubDir}${path.delimiter}${process.env.PATH}` };
  const bash = (...args) => spawnSync('bash', args, { encoding: 'utf8', env });
  const where = rel(deploySh);
  try {
    const syntax = bash('-n', deploySh);
    if (syntax.status !== 0) problems.push(`${where}: bash -n: ${syntax.stderr.trim()}`);
    else {
      const dry = bash(deploySh, '--dry-run', '--project', 'ci-project');
      const lines = dry.stdout.split('\n');
      const start = lines.indexOf(RENDERED_MARK);
      const end = lines.findIndex((l, i) => i > start && l.startsWith('+ '));
      const yamlLines = start < 0 ? [] : lines.slice(start + 1, end < 0 ? undefined : end);
      const image = /^image (\S+)$/m.exec(dry.stdout)?.[1];
      if (dry.status !== 0) problems.push(`${where} --dry-run: exit ${dry.status}: ${dry.stderr.trim()}`);
      else if (start < 0) problems.push(`${where} --dry-run: no "${RENDERED_MARK}" line`);
      else {
        dryRunChecked = true;
        const left = yamlLines.filter((l) => /^[^#]*\$\{/.test(l));
        if (left.length > 0) problems.push(`${where} --dry-run: placeholders left: ${left.join(' | ').trim()}`);
        const rendered = parseYaml(yamlLines.join('\n'));
        if (rendered?.spec?.template?.spec?.containers?.[0]?.image !== image) {
          problems.push(`${where} --dry-run: the rendered service does not run the image it builds (${image})`);
        }
        if (!lines.includes(`+ gcloud builds submit ${root} --project ci-project --tag ${image}`)) {
          problems.push(`${where} --dry-run: does not build ${image}`);
        }
      }
      const skip = bash(deploySh, '--dry-run', '--project', 'ci-project', '--skip-build');
      if (skip.status === 0 || !skip.stderr.includes('--skip-build needs --image')) {
        problems.push(`${where}: --skip-build without --image must be refused (exit ${skip.status})`);
      }
    }
  } finally {
    rmSync(stubDir, { recursive: true, force: true });
  }
}

if (problems.length > 0) {
  print(process.stderr, `validate-deploy: ${problems.length} problem(s)`);
  for (const p of problems) print(process.stderr, `  ${p}`);
  process.exit(1);
}
print(
  process.stdout,
  `validate-deploy: ok (${manifests.length} Kubernetes objects in ${k8sFiles.length} files against the ` +
    `Kubernetes 1.27 schemas, ${kustomizations.length} kustomizations${cloudRunChecked ? ', Cloud Run service' : ''}, ` +
    `${configsLoaded} workload environments through loadConfig${dryRunChecked ? ', deploy.sh --dry-run' : ''})`,
);
