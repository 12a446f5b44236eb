import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { prepareDependencies, startProcess } from '@app/runtime';
import { WorkerModule } from './worker.module.js';

await startProcess('worker', async (config, log) => {
  await prepareDependencies(config, log, 'worker');
  const app = await NestFactory.create(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.listen(config.http.workerPort, config.http.host);
  log(`worker running; probes and metrics on ${config.http.host}:${config.http.workerPort}`);
  return app;
});
