export { APP_CONFIG, ConfigError, loadConfig, redactUrl, type AppConfig } from './config.js';
export { ConfigModule } from './config.module.js';
