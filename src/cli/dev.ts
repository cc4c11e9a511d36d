import { startStack } from '../devstack/stack';

export async function runDev(): Promise<number> {
  const stack = await startStack({ apiPort: Number(process.env.API_PORT ?? 8080) });
  console.log(`
drops dev stack is up
  API            ${stack.apiUrl}
  Temporal       ${stack.temporalAddress}
  Temporal UI    ${stack.temporalUiUrl ?? '(external server)'}
  Providers      ${stack.providerUrl}   (SIMULATORS: payment, carriers, lockers)
  fault controls POST ${stack.providerUrl}/_sim/faults  {"provider": "all" | "payments" | "lockers" | "carrier:swiftship", "errorRate": 0.1, "down": true, …}
  Postgres       ${stack.databaseUrl.replace(/\/\/[^@]*@/, '//')}
  reconcile      drops reconcile <dropId> --provider ${stack.providerUrl}   (DATABASE_URL: the Postgres above)
  ops key        ${stack.secrets.opsApiKey}
  support key    ${stack.secrets.supportApiKey}
Ctrl-C stops everything.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stack.stop();
  return 0;
}
