import { ProviderRejectedError, ProviderUnavailableError } from './providers';

export interface HttpJsonOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * One JSON request to a provider. 4xx (but 409 and 429, which are transient) become
 * ProviderRejectedError so activities can stop retrying; everything else throws a plain
 * Error, which Temporal retries.
 */
export async function httpJson<T>(url: string, options: HttpJsonOptions = {}): Promise<T> {
  const what = `${options.method ?? 'GET'} ${new URL(url).pathname}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: options.method ?? 'GET',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    // Refused: the request never reached the provider. Anything else (timeout, reset) may have.
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') throw new ProviderUnavailableError(`${what}: connection refused`);
    throw err;
  }
  const text = await res.text();
  if (!res.ok) {
    const message = `${what} answered ${res.status}: ${text.slice(0, 200)}`;
    if (res.status === 503) throw new ProviderUnavailableError(message);
    if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 429) {
      throw new ProviderRejectedError(message, res.status, errorCode(text));
    }
    throw new Error(message);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

/** The provider's error code (`{"error": {"code": ...}}`, Stripe's shape), if any. */
function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
