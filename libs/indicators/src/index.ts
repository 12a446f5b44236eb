import './graphql-enums.js';
export { RetractIndicatorsInput } from './dto/retract-indicators.input.js';
export { IndicatorInput, SubmitIndicatorsInput } from './dto/submit-indicators.input.js';
export { IndicatorTokenScalar } from './indicator-token.scalar.js';
export { IndicatorError, IndicatorErrorCode } from './indicator.exception.js';
export { IndicatorsModule } from './indicators.module.js';
export { IndicatorsService, type SubmissionExtension } from './indicators.service.js';
export { ProbingThrottle } from './models/probing-throttle.model.js';
export { RetractionResult, SubmissionResult } from './models/submission-result.model.js';
