export { RateLimitError, RateLimitErrorCode } from './rate-limit.error.js';
export { RateLimitModule } from './rate-limit.module.js';
export { hashTag, RateLimitService, type Budget } from './rate-limit.service.js';
