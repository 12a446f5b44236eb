export { decrypt, DecryptionError, encrypt, loadDataKey, masterKeyPath, type DataKeySource, type LoadedDataKey } from './data-key.js';
export { DataKeyService } from './data-key.service.js';
export { SecretsModule } from './secrets.module.js';
