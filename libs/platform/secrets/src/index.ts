export { decrypt, DecryptionError, masterKeyPath } from './data-key.js';
export { DataKeyService } from './data-key.service.js';
export { SecretsModule } from './secrets.module.js';
