import { z } from 'zod';
import { ERROR_CODES, RETRY_AFTER_CODES, type ErrorCode } from './error-codes';
import { OPERATIONS, type Operation } from './operations';
import { components, errorCodesSchema, errorSchema } from './responses';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON Schema / OpenAPI objects are open-ended JSON
type Json = Record<string, any>;

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Drops what only restates the type: a safe integer's bounds, the date-time format's own regex. */
const override = ({ jsonSchema: s }: { jsonSchema: Json }) => {
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  if (s.format === 'date-time') delete s.pattern;
};

/** zod 4's own conversion; `$schema` is dropped (the document names the dialect once). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, override }) as Json;
  return rest;
}

/** A response schema: a `$ref` to its component when it has one, else inline. */
const responseSchema = (schema: z.ZodType): Json => {
  const id = components.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : jsonSchema(schema, 'output');
};

function parameters(where: 'path' | 'query' | 'header', object: z.ZodObject | undefined): Json[] {
  if (!object) return [];
  const s = jsonSchema(object, 'input');
  const required = new Set<string>(s.required ?? []);
  return Object.entries(s.properties as Record<string, Json>).map(([name, { description, ...schema }]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(description !== undefined && { description }),
    schema,
  }));
}

/** The error codes an operation can answer: its own, and those its roles and body bring. */
function errorCodes(op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>(op.errors);
  if (op.roles !== 'public') for (const c of ['unauthorized', 'forbidden'] as const) codes.add(c);
  if (op.body) for (const c of ['invalid_request', 'invalid_json', 'payload_too_large', 'unsupported_media_type'] as const) codes.add(c);
  return [...codes];
}

function errorResponses(op: Operation): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(op)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, Json> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (op.responses[status]) throw new Error(`${op.id}: status ${status} is both an answer and an error`);
    const headers: Json = {};
    if (codes.some((c) => RETRY_AFTER_CODES.has(c))) headers['Retry-After'] = { description: 'seconds to wait before retrying', schema: { type: 'integer' } };
    if (status === 401) headers['WWW-Authenticate'] = { description: 'Bearer', schema: { type: 'string' } };
    out[status] = {
      description: codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].about}`).join('; '),
      ...(Object.keys(headers).length > 0 && { headers }),
      content: {
        // The Error shape, its code one of these (as input: the narrowing adds no other constraint).
        'application/json': { schema: { allOf: [responseSchema(errorSchema), jsonSchema(errorCodesSchema(codes as [ErrorCode, ...ErrorCode[]]), 'input')] } },
      },
    };
  }
  return out;
}

function operation(op: Operation): Json {
  const pathNames = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const declared = Object.keys(op.params?.shape ?? {});
  if (pathNames.length !== declared.length || !pathNames.every((n) => declared.includes(n))) {
    throw new Error(`${op.id}: path ${op.path} has parameters {${pathNames.join(', ')}} but params declares {${declared.join(', ')}}`);
  }
  const params = [...parameters('path', op.params), ...parameters('query', op.query), ...parameters('header', op.headers)];
  const responses: Record<string, Json> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    const content: Json = {};
    if (r.schema) content['application/json'] = { schema: responseSchema(r.schema) };
    for (const [media, schema] of Object.entries(r.media ?? {})) content[media] = { schema: jsonSchema(schema, 'output') };
    responses[status] = { description: r.description, ...(Object.keys(content).length > 0 && { content }) };
  }
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description && { description: op.description }),
    security: op.roles === 'public' ? [] : [{ bearer: [] }],
    'x-roles': op.roles,
    ...(params.length > 0 && { parameters: params }),
    ...(op.body && {
      requestBody: {
        required: !op.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
      },
    }),
    responses: { ...responses, ...errorResponses(op) },
  };
}

/**
 * The OpenAPI 3.1 document of every operation in OPERATIONS (built once at startup, served at
 * `GET /openapi.json`). Schemas come from the zod schemas the routes validate with (requests, as
 * input) and from ./responses.ts (answers, as output), converted by `z.toJSONSchema`.
 */
export function buildOpenApiDocument(operations: readonly Operation[] = OPERATIONS): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const ids = new Set<string>();
  for (const op of operations) {
    if (ids.has(op.id)) throw new Error(`operation id ${op.id} is used twice`);
    ids.add(op.id);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is listed twice`);
    item[op.method] = operation(op);
  }
  const { schemas } = z.toJSONSchema(components, { target: 'draft-2020-12', io: 'output', override, uri: (id) => `#/components/schemas/${id}` }) as Json;
  // A fragment is no valid `$id` in 2020-12; the components are found by their place instead.
  for (const s of Object.values(schemas as Record<string, Json>)) {
    delete s.$schema;
    delete s.$id;
  }
  return {
    openapi: '3.1.1',
    jsonSchemaDialect: DIALECT,
    info: {
      title: 'drops-engine API',
      version: '1',
      description:
        'Micro-drops: launch and steer (ops), resolve exceptions (support), register, pay, pick up and check the draw (public). ' +
        'Every error is `{ "error": { "code", "message", "details"? } }` with a stable code; a 4xx changes nothing.',
    },
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "a role's API key (`authorization: Bearer <key>`); the role is in each operation's x-roles" },
      },
    },
  };
}

let served: string | undefined;
/** The document as `GET /openapi.json` sends it: built on first use, once per process (it depends only on the code). */
export const openApiJson = (): string => (served ??= JSON.stringify(buildOpenApiDocument()));
