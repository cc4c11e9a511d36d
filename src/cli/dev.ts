import { join } from 'node:path';
import { readEnvConfig, readToolingConfig } from '../config';
import { PROJECT_ROOT, startStack, type Stack } from '../devstack/stack';

/**
 * `drops dev`: the whole local stack until SIGINT or SIGTERM, which stop every part of it
 * (API, worker, simulators, Postgres, Temporal) and exit 0, also when they arrive during the
 * start. A second signal gives up waiting: exit 1, the servers killed on the way out.
 */
export async function runDev(): Promise<number> {
  const config = readEnvConfig();
  const tooling = readToolingConfig();
  const abort = new AbortController();
  let signalled: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => (signalled = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      console.error(`drops dev: ${signal} again; exiting without waiting for the stop to finish`);
      process.exit(1);
    }
    console.log(`drops dev: ${signal}; stopping the stack`);
    abort.abort(new Error(`${signal} during start`));
    signalled();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stack: Stack;
  try {
    stack = await startStack({
      dataDir: tooling.DROPS_DATA_DIR ?? join(PROJECT_ROOT, '.data'),
      temporalPort: tooling.DROPS_DEV_TEMPORAL_PORT,
      temporalUiPort: tooling.DROPS_DEV_TEMPORAL_UI_PORT,
      postgresPort: tooling.DROPS_DEV_POSTGRES_PORT,
      apiPort: config.API_PORT,
      simulator: { port: tooling.DROPS_DEV_SIMULATOR_PORT },
      workflowBundle: config.DROPS_WORKFLOW_BUNDLE ? { codePath: config.DROPS_WORKFLOW_BUNDLE } : undefined,
      signal: abort.signal,
      stopOnSignals: false,
    });
  } catch (err) {
    // Stopped by a signal during the start: what had started is stopped already.
    if (abort.signal.aborted) return 0;
    throw err;
  }
  console.log(`
drops dev stack is up
  API            ${stack.apiUrl}
  Temporal       ${stack.temporalAddress}
  Temporal UI    ${stack.temporalUiUrl ?? '(external server)'}
  Providers      ${stack.providerUrl}   (SIMULATORS: payment, carriers, lockers)
  fault controls POST ${stack.providerUrl}/_sim/faults  {"provider": "all" | "payments" | "lockers" | "carrier:swiftship", "errorRate": 0.1, "down": true, …}
  Mailpit        ${stack.mailpitUrl ?? '(SMTP_URL given: messages go there)'}   (the entrants' e-mails: web UI and API)
  Postgres       ${stack.databaseUrl}   (this machine's own dev server: its credentials are the local defaults)
  reconcile      drops reconcile <dropId> --database ${stack.databaseUrl} --provider ${stack.providerUrl}
  ops key        ${stack.secrets.opsApiKey}
  support key    ${stack.secrets.supportApiKey}
Ctrl-C stops everything.`);
  await stopRequested;
  // Connections cut while the servers stop may raise errors nobody awaits; they must not end
  // the process before Postgres and Temporal are stopped.
  process.on('uncaughtException', (err) => console.error(`drops dev: while stopping: ${err.message}`));
  await stack.stop();
  console.log('drops dev: stopped');
  return 0;
}
