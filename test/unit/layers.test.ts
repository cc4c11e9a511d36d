import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * No import runs up the layers. A file may import its own layer and any layer below it; the
 * layers, lowest first (a path belongs to the first entry whose prefix it starts with, so list
 * the narrower prefix first):
 */
const LAYERS: ReadonlyArray<{ name: string; prefixes: readonly string[] }> = [
  // Pure helpers with no knowledge of the product (poll until a deadline, retry, seeded random).
  { name: 'lib', prefixes: ['src/lib/'] },
  // The product's rules and terms: pure, no I/O.
  { name: 'domain', prefixes: ['src/domain/'] },
  // The messages the workflows share with the activities, the services and the API (pure, workflow-safe).
  { name: 'workflow contract', prefixes: ['workflows/definitions.ts'] },
  // Configuration, repositories (every SQL statement) and provider adapters (real and simulated).
  { name: 'infrastructure', prefixes: ['src/config.ts', 'src/db/', 'src/integrations/', 'src/simulators/'] },
  { name: 'services', prefixes: ['src/services/'] },
  // Deterministic orchestration: calls activities by name through proxies, never imports them.
  { name: 'workflows', prefixes: ['workflows/'] },
  // The work the workflows order, on top of the services and repositories.
  { name: 'activities', prefixes: ['activities/'] },
  { name: 'api', prefixes: ['api/'] },
  // What starts and wires everything: the worker process, the CLI, the dev stack, the demo client.
  { name: 'hosts', prefixes: ['src/worker/', 'src/cli/', 'src/devstack/', 'src/demo/'] },
];

/**
 * Justified upward imports: [importing file prefix, imported file prefix, reason]. Only
 * type-only imports qualify (they are erased at build time).
 */
const EXCEPTIONS: ReadonlyArray<readonly [string, string, string]> = [
  [
    'workflows/',
    'activities/',
    'proxyActivities<ReturnType<typeof create…Activities>>: the workflows type their activity proxies with the activities’ signatures; the import is erased, so no activity code enters the workflow sandbox',
  ],
];

const ROOT = resolve(__dirname, '../..');
const SCANNED = ['api', 'src', 'activities', 'workflows'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  text: string;
}

/** Static imports and re-exports, `import('…')` and `require('…')` of relative paths. */
function importsOf(file: string): Import[] {
  const source = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean, text: string) => {
    if (!specifier.startsWith('.')) return;
    const target = resolveModule(resolve(dirname(file), specifier));
    found.push({ from: relative(ROOT, file), to: relative(ROOT, target), typeOnly, text: text.replace(/\s+/g, ' ').trim() });
  };
  for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    const names = m[3]!;
    // `import { type A, type B } from` is type-only too.
    const allTypes =
      /^\{[^}]*\}$/.test(names) &&
      names
        .slice(1, -1)
        .split(',')
        .every((n) => n.trim() === '' || /^type\s/.test(n.trim()));
    add(m[4]!, Boolean(m[2]) || allTypes, m[0]);
  }
  for (const m of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) add(m[1]!, false, m[0]);
  for (const m of source.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    // `import('…').Type` in a type position is erased like a type-only import.
    const typeOnly = source.slice(m.index! + m[0].length).startsWith('.');
    add(m[1]!, typeOnly, m[0]);
  }
  return found;
}

function resolveModule(base: string): string {
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return base;
}

/** The layer's index (higher is further up), or -1 for a path outside every layer (a package). */
function layerOf(path: string): number {
  return LAYERS.findIndex((l) => l.prefixes.some((p) => path === p || path.startsWith(p)));
}

function upwardImports(imports: Import[]): string[] {
  return imports
    .filter((i) => layerOf(i.to) >= 0 && layerOf(i.to) > layerOf(i.from))
    .filter((i) => !(i.typeOnly && EXCEPTIONS.some(([from, to]) => i.from.startsWith(from) && i.to.startsWith(to))))
    .map((i) => `${i.from} (${LAYERS[layerOf(i.from)]!.name}) imports ${i.to} (${LAYERS[layerOf(i.to)]!.name}): ${i.text}`);
}

describe('layers', () => {
  const files = SCANNED.flatMap((dir) => tsFiles(join(ROOT, dir)));
  const imports = files.flatMap(importsOf);

  it('reads the imports of every .ts file under api/, src/, activities/ and workflows/', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.length).toBeGreaterThan(300);
  });

  it('places every file in a layer', () => {
    const unplaced = files.map((f) => relative(ROOT, f)).filter((f) => layerOf(f) < 0);
    expect(unplaced).toEqual([]);
  });

  it('has no import running up the layers, but the listed type-only exceptions', () => {
    expect(upwardImports(imports)).toEqual([]);
  });

  it('lets the API reach the repositories only through the services (api → services → repositories)', () => {
    const skipping = imports.filter((i) => i.from.startsWith('api/') && i.to.startsWith('src/db/') && !i.typeOnly).map((i) => `${i.from}: ${i.text}`);
    expect(skipping).toEqual([]);
  });

  it('reports an upward import, and a value import where only a type-only one is excepted', () => {
    const at = (from: string, to: string, typeOnly: boolean): Import => ({ from, to, typeOnly, text: `import … from '${to}'` });
    expect(
      upwardImports([
        at('src/domain/drop/launch.ts', 'workflows/definitions.ts', false),
        at('src/services/provider-events/webhooks.ts', 'activities/payment/payment-activities.ts', false),
        at('workflows/drop/drop-workflow.ts', 'activities/index.ts', false),
        at('workflows/drop/drop-workflow.ts', 'activities/index.ts', true),
        at('api/app.ts', 'src/services/order/orders.ts', false),
      ]),
    ).toEqual([
      "src/domain/drop/launch.ts (domain) imports workflows/definitions.ts (workflow contract): import … from 'workflows/definitions.ts'",
      "src/services/provider-events/webhooks.ts (services) imports activities/payment/payment-activities.ts (activities): import … from 'activities/payment/payment-activities.ts'",
      "workflows/drop/drop-workflow.ts (workflows) imports activities/index.ts (activities): import … from 'activities/index.ts'",
    ]);
  });
});
