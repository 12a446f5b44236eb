import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { AddressPolicy } from './delivery/address-policy.js';

/** The configured AddressPolicy (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_CIDRS). */
export const addressPolicyProvider: Provider = {
  provide: AddressPolicy,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => new AddressPolicy(config.webhooks),
};
