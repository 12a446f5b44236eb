export { RetractTemplateSignaturesInput } from './dto/retract-template-signatures.input.js';
export { SubmitTemplateSignaturesInput } from './dto/submit-template-signatures.input.js';
export { estimatedJaccard } from './decide-similar.js';
export { SimilarityModule } from './similarity.module.js';
export { SimilarityService } from './similarity.service.js';
export { SimilarityWorkerModule } from './similarity-worker.module.js';
export { signatureDigest } from './validate-signatures.js';
