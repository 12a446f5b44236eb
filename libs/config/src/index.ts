export { APP_CONFIG, ConfigError, loadConfig, redactUrl, type AppConfig } from './config.js';
export { ConfigModule } from './config.module.js';
export { DATABASE_ROLE_NAMES, environmentVariableNames, urlForUser } from './env.js';
