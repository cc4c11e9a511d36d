import { Client, Connection } from '@temporalio/client';
import Ajv2020 from 'ajv/dist/2020';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApp } from '../../api/app';
import type { Role } from '../../api/auth';
import { ERROR_CODES } from '../../api/openapi/error-codes';
import { OPERATIONS } from '../../api/openapi/operations';
import type { DevSecrets } from '../../src/devstack/secrets';
import { addStaff } from '../../src/services/staff/staff';
import type { Db } from '../../src/db/connection';
import { insertDrop } from '../../src/db/repositories/drops';
import { openException } from '../../src/db/repositories/exceptions';
import type { PaymentProvider } from '../../src/integrations/providers';
import { createTestDatabase, installTestStaff, testSecrets } from '../helpers/context';

const ROOT = join(__dirname, '..', '..');
/** Served only when createApp's benchNoopRoute is on: the benchmark's baseline, not the API. */
const BENCHMARK_ONLY = /^\/bench\//;

/** Every (method, path) an Express 5 app serves, walking nested routers; paths in OpenAPI style. */
function servedRoutes(router: any, prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of router.stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        if (typeof path !== 'string' || /[*{}()]/.test(path)) throw new Error(`route path ${String(path)}: teach servedRoutes this syntax`);
        for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${prefix}${path.replace(/:(\w+)/g, '{$1}')}`);
      }
    } else if (layer.handle?.stack) {
      if (!layer.slash && typeof layer.rawPath !== 'string') throw new Error('a router mounted under a pattern: teach servedRoutes its prefix');
      out.push(...servedRoutes(layer.handle, layer.slash ? prefix : prefix + layer.rawPath));
    }
  }
  return out;
}

/**
 * Issue 14 (API contract): `GET /openapi.json` documents every route the app serves, is valid
 * OpenAPI 3.1, and says what the routes do: each operation is called with no key and with each
 * role's key, and every answer's status, error code and body must be the document's. Postgres
 * and the run's Temporal (no worker): the calls are refused or fail before any workflow runs.
 */
describe('the API contract (GET /openapi.json)', () => {
  let db: Db;
  let connection: Connection;
  let server: Server;
  let app: ReturnType<typeof createApp>;
  let base: string;
  let secrets: DevSecrets;
  let adminKey: string;
  let doc: any;
  const dropId = 'openapi-drop';

  beforeAll(async () => {
    const created = await createTestDatabase();
    db = created.db;
    secrets = testSecrets();
    await installTestStaff(db, secrets);
    adminKey = (await addStaff(db, 'Contract admin', 'admin')).key;
    connection = await Connection.connect({ address: process.env.DROPS_TEST_TEMPORAL_ADDRESS! });
    app = createApp({
      db,
      databaseUrl: created.url,
      temporal: new Client({ connection }),
      taskQueue: 'openapi-unused',
      secrets,
      payments: {} as PaymentProvider,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    // A drop row (no workflow) and an open exception, so the reads answer with data.
    await insertDrop(db, {
      dropId,
      name: 'Contract drop',
      units: 2,
      priceCents: 1500,
      currency: 'usd',
      spec: { units: 2 },
      beacon: null,
      nodes: [{ nodeId: 'north-locker', region: 'north', kind: 'locker', stock: 2 }],
    });
    await openException(db, { dropId, orderId: null, kind: 'stray_label', detail: 'a label nobody ordered', slaMinutes: 60 });
    doc = await (await fetch(`${base}/openapi.json`)).json();
  });
  afterAll(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await app?.closeIntake();
    await connection?.close();
    await db?.destroy();
  });

  it('is served without a key, as JSON', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it('documents every route the app serves, and nothing it does not serve', () => {
    const served = new Set(servedRoutes((app as any).router).filter((r) => !BENCHMARK_ONLY.test(r.split(' ')[1]!)));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`)));
    expect({
      servedButNotDocumented: [...served].filter((r) => !documented.has(r)),
      documentedButNotServed: [...documented].filter((r) => !served.has(r)),
    }).toEqual({ servedButNotDocumented: [], documentedButNotServed: [] });
    expect(served.size).toBeGreaterThan(15);
  });

  it('is valid OpenAPI 3.1 (the @seriousme/openapi-schema-validator schema, and its path parameters)', async () => {
    // The validator is an ES module, which Jest's CommonJS runtime cannot load: it runs in a node of its own.
    const script = [
      "import { Validator } from '@seriousme/openapi-schema-validator';",
      "let text = ''; for await (const chunk of process.stdin) text += chunk;",
      'process.stdout.write(JSON.stringify(await new Validator().validate(JSON.parse(text))));',
    ].join('\n');
    const run = promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    run.child.stdin!.end(JSON.stringify(doc));
    expect(JSON.parse((await run).stdout)).toEqual({ valid: true });

    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries<any>(item)) {
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path');
        expect({ op: `${method} ${path}`, params: declared.map((p: any) => p.name).sort() }).toEqual({ op: `${method} ${path}`, params: inPath });
        for (const p of declared) expect(p.required).toBe(true);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        expect(op['x-roles']).toBeDefined();
      }
    }
  });

  it('lists each error code the code base throws, with the status its kind maps to, and no other', () => {
    const STATUS_OF_HELPER: Record<string, number> = { invalid: 400, forbidden: 403, notFound: 404, conflict: 409, unprocessable: 422, unavailable: 503 };
    const STATUS_OF_KIND: Record<string, number> = { ...STATUS_OF_HELPER, unauthenticated: 401, not_found: 404 };
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const thrown = new Map<string, number>();
    for (const file of [...files(join(ROOT, 'api')), ...files(join(ROOT, 'src/services')), ...files(join(ROOT, 'src/domain'))]) {
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/new ApiError\(\s*(\d+),\s*'(\w+)'/g)) thrown.set(m[2]!, Number(m[1]));
      for (const m of source.matchAll(/\b(invalid|forbidden|notFound|conflict|unprocessable|unavailable)\(\s*'(\w+)'/g))
        thrown.set(m[2]!, STATUS_OF_HELPER[m[1]!]!);
      for (const m of source.matchAll(/new DomainError\(\s*'(\w+)',\s*'(\w+)'/g)) thrown.set(m[2]!, STATUS_OF_KIND[m[1]!]!);
      // messageWorkflow's refusals are 409s (src/services/workflow-messages.ts).
      for (const m of source.matchAll(/\b(?:rejectedCode|goneCode):\s*'(\w+)'/g)) thrown.set(m[1]!, 409);
    }
    const catalogue = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
    expect(catalogue).toEqual(Object.fromEntries(thrown));
  });

  // Values for path parameters: the drop exists; the entry and the order do not.
  const SAMPLE: Record<string, string> = {
    dropId,
    entryId: 'e0123456789abcdef01234567',
    orderId: 'ord_e0123456789abcdef01234567',
    exceptionId: '1',
    nodeId: 'north-locker',
  };
  const roleKeys = (): Record<Role, string> => ({ ops: secrets.opsApiKey, support: secrets.supportApiKey, admin: adminKey });

  it.each(OPERATIONS.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))(
    '%s: its roles are enforced, and each answer (status, error code, body) is documented',
    async (_name, op) => {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      ajv.addSchema(doc, 'openapi.json');
      const pointer = (...parts: string[]) => `openapi.json#/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
      const url = base + op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(SAMPLE[name] ?? 'sample-value'));
      const callers: Array<[string, string | undefined]> = [['no key', undefined], ...Object.entries(roleKeys())];
      for (const [caller, key] of callers) {
        const res = await fetch(url, {
          method: op.method.toUpperCase(),
          headers: { ...(key && { authorization: `Bearer ${key}` }), ...(op.body && { 'content-type': 'application/json' }) },
          ...(op.body && { body: '{}' }),
        });
        const text = await res.text();
        const what = `${caller}: ${res.status} ${text.slice(0, 300)}`;
        const allowed = op.roles === 'public' || (key !== undefined && op.roles.includes(caller as Role));
        if (allowed) expect(what).not.toMatch(/^[^:]+: 40[13] /);
        else expect(what).toMatch(key === undefined ? /^[^:]+: 401 .*"unauthorized"/ : /^[^:]+: 403 .*"forbidden"/);

        const documented = doc.paths[op.path][op.method].responses[String(res.status)];
        expect({ what, documented: Boolean(documented) }).toEqual({ what, documented: true });
        if (!res.headers.get('content-type')?.startsWith('application/json')) continue;
        const validate = ajv.getSchema(pointer('paths', op.path, op.method, 'responses', String(res.status), 'content', 'application/json', 'schema'))!;
        const valid = validate(JSON.parse(text));
        expect({ what, errors: valid ? [] : validate.errors }).toEqual({ what, errors: [] });
      }
    },
  );
});
