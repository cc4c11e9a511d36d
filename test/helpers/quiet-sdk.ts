import { DefaultLogger, Runtime } from '@temporalio/worker';

// The SDK logs every worker state change at INFO and every failed activity attempt at WARN;
// the fault tests fail thousands on purpose. Tests assert outcomes; keep errors only.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Installed already by an earlier test file in this worker process.
}
