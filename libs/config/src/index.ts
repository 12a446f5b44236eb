export { APP_CONFIG, ConfigError, DATABASE_ROLE_NAMES, loadConfig, redactUrl, urlForUser, type AppConfig } from './config.js';
export { ConfigModule } from './config.module.js';
