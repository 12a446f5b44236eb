export { buildFederationReport, kAnonymous, type ReportFact } from './federation-report.js';
export { FederationReport, ReportDisclosedMember, ReportFigure, ReportTypeFigures } from './models/federation-report.model.js';
export { MemberHealth } from './models/member-health.model.js';
export { ReportsModule } from './reports.module.js';
