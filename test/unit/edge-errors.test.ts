import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { errorMiddleware } from '../../api/errors';
import { DomainError } from '../../src/domain/errors';
import { findTextProblem } from '../../src/domain/storable-text';
import { isDatabaseDown, isTemporalDown } from '../../src/services/unavailable';

describe('findTextProblem', () => {
  it.each([
    ['plain text', { name: 'Spring tee', n: 3, ok: true, none: null }],
    ['a surrogate pair (emoji)', { name: 'tee 👕', list: ['𝄞'] }],
    ['an empty object and array', { a: {}, b: [] }],
  ])('accepts %s', (_what, value) => {
    expect(findTextProblem(value)).toBeUndefined();
  });

  it.each([
    ['a NUL', { name: 'a\u0000b' }, 'name'],
    ['a high surrogate at the end', { name: 'ab\ud83d' }, 'name'],
    ['a low surrogate at the start', { name: '\udc4bab' }, 'name'],
    ['two high surrogates', { name: '\ud83d\ud83d\udc4b' }, 'name'],
    ['a NUL in an array item', { nodes: [{ nodeId: 'ok' }, { nodeId: 'x\u0000' }] }, 'nodes.1.nodeId'],
    ['a NUL in a key', { regionQuotas: { 'no\u0000rth': 1 } }, 'regionQuotas.no\u0000rth'],
    ['a __proto__ key', JSON.parse('{"regionQuotas":{"__proto__":1}}'), 'regionQuotas.__proto__'],
    ['a constructor key', JSON.parse('{"a":[{"constructor":{}}]}'), 'a.0.constructor'],
    ['a top-level string', 'a\u0000', ''],
  ])('finds %s and names its path', (_what, value, path) => {
    expect(findTextProblem(value)).toEqual({ path, message: expect.any(String) });
  });

  it('walks the deepest body the 64 kB limit allows without overflowing the stack, in linear time', () => {
    // 32,000 levels: a walk that copied the path at each level would take seconds (a DoS); this takes milliseconds.
    const v = JSON.parse(`${'['.repeat(32_000)}"deep\\u0000"${']'.repeat(32_000)}`);
    const started = performance.now();
    const problem = findTextProblem(v);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(problem?.message).toContain('NUL');
    expect(problem?.path.split('.')).toHaveLength(32_000);
  });
});

describe('which dependency is down', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['connection failure (08006)', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    ['a connection cut without a code', new Error('Connection terminated unexpectedly')],
    ['the pool giving up', new Error('timeout exceeded when trying to connect')],
    ['happy-eyeballs connects', new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')])],
    ['an error object from another realm', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }],
  ])('Postgres: %s', (_what, err) => {
    expect(isDatabaseDown(err)).toBe(true);
    expect(isTemporalDown(err)).toBe(false);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['NUL in text', pgError('22021')],
    ['a programming error', new TypeError('x is undefined')],
  ])('not down: %s', (_what, err) => {
    expect(isDatabaseDown(err)).toBe(false);
  });

  /** gRPC status codes (the shape @grpc/grpc-js gives a failed call). */
  const grpc = { status: { DEADLINE_EXCEEDED: 4, INVALID_ARGUMENT: 3, NOT_FOUND: 5, UNAVAILABLE: 14 } };
  const grpcError = (code: number) => Object.assign(new Error('grpc'), { code, details: 'x', metadata: {} });
  it.each([
    ['UNAVAILABLE', new ServiceError('Workflow Update failed', { cause: grpcError(grpc.status.UNAVAILABLE) })],
    ['DEADLINE_EXCEEDED', new ServiceError('Failed to signal Workflow', { cause: grpcError(grpc.status.DEADLINE_EXCEEDED) })],
    ['an Update RPC that timed out', new WorkflowUpdateRPCTimeoutOrCancelledError('timed out')],
  ])('Temporal: %s', (_what, err) => {
    expect(isTemporalDown(err)).toBe(true);
  });

  it('Temporal answering NOT_FOUND or INVALID_ARGUMENT is not "down"', () => {
    expect(isTemporalDown(new ServiceError('x', { cause: grpcError(grpc.status.NOT_FOUND) }))).toBe(false);
    expect(isTemporalDown(new ServiceError('x', { cause: grpcError(grpc.status.INVALID_ARGUMENT) }))).toBe(false);
  });
});

describe('the error middleware', () => {
  function send(err: unknown) {
    const out: { status?: number; headers: Record<string, string>; body?: any } = { headers: {} };
    const res = {
      setHeader: (k: string, v: string) => void (out.headers[k.toLowerCase()] = v),
      status(s: number) {
        out.status = s;
        return this;
      },
      json: (b: unknown) => void (out.body = b),
    };
    errorMiddleware(err, {} as never, res as never, () => {});
    return out;
  }

  it.each([
    ['invalid', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['unprocessable', 422],
    ['unavailable', 503],
  ] as const)('maps a DomainError of kind %s to %i with its code', (kind, status) => {
    const out = send(new DomainError(kind, 'some_code', 'why', undefined, kind === 'unavailable' ? 2 : undefined));
    expect(out.status).toBe(status);
    expect(out.body).toEqual({ error: { code: 'some_code', message: 'why' } });
    if (kind === 'unavailable') expect(out.headers['retry-after']).toBe('2');
  });

  it('maps Postgres refusing text to 400 invalid_request, not a 500', () => {
    const out = send(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }));
    expect(out.status).toBe(400);
    expect(out.body.error.code).toBe('invalid_request');
  });

  it('maps a database that is down to 503 database_unavailable with Retry-After', () => {
    const out = send(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    expect(out.status).toBe(503);
    expect(out.body.error.code).toBe('database_unavailable');
    expect(out.headers['retry-after']).toMatch(/^\d+$/);
  });
});
