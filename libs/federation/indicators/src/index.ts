export { IndicatorInput, SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
export { IndicatorTokenScalar } from './indicator-token.scalar.js';
export { IndicatorsModule } from './indicators.module.js';
export { IndicatorsService, type SubmissionExtension } from './indicators.service.js';
export {
  claimSubmissionSql,
  INDICATOR_UPSERT_CONFLICT,
  KEY_SPACES_CTE,
  storeSubmission,
  submissionByKeySql,
  type SubmissionClaim,
} from './indicators.sql.js';
export { ProbingThrottle } from './models/probing-throttle.model.js';
export { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
export { ProbingThrottleService } from './probing-throttle.service.js';
export {
  SubmissionGate,
  type CheckedBatch,
  type GatedSubmission,
  type SubmissionCounts,
  type SubmissionReplayRow,
} from './submission-gate.js';
export { SubmissionQuotas, type QuotaCharge } from './submission-quotas.js';
export { checkBatchSize, itemProblems, recordFields } from './validate-items.js';
