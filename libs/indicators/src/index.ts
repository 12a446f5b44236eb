export { IndicatorInput, SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
export { IndicatorTokenScalar } from './indicator-token.scalar.js';
export { IndicatorsModule } from './indicators.module.js';
export { IndicatorsService } from './indicators.service.js';
export { INDICATOR_UPSERT_CONFLICT, storeSubmission } from './indicators.sql.js';
export { SubmissionResult } from './models/submission-result.model.js';
export { ProbingThrottleService } from './probing-throttle.service.js';
export { SubmissionQuotas, type QuotaCharge } from './submission-quotas.js';
