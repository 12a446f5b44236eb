export { RateLimitError, RateLimitErrorCode } from './rate-limit.error.js';
export { RateLimitModule } from './rate-limit.module.js';
export { RateLimitService, type Budget } from './rate-limit.service.js';
