import 'reflect-metadata';
import { prepareDependencies, startProcess } from '@app/runtime';
import { createApiApp } from './bootstrap.js';

await startProcess('api', async (config, log) => {
  await prepareDependencies(config, log, 'api');
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
  log(`API listening on ${config.http.host}:${config.http.port}; issuer ${config.http.publicBaseUrl}`);
  return app;
});
