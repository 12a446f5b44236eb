export { CoreModule } from './core.module.js';
export { prepareDependencies } from './prepare.js';
export { explainStartupFailure, loadDotEnv, startProcess } from './start-process.js';
