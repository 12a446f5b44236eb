import { Args, Query, Resolver } from '@nestjs/graphql';
import { CurrentMember, type AuthenticatedMember } from '@app/auth';
import { Roles } from '@app/common';
import { FederationReportArgs } from './dto/federation-report.args.js';
import { FederationReport } from './models/federation-report.model.js';
import { MemberHealth } from './models/member-health.model.js';
import { ReportsService } from './reports.service.js';

/** Operators' views across members: health at a glance and the federation report (admins only). */
@Resolver()
export class ReportsResolver {
  constructor(private readonly reports: ReportsService) {}

  @Roles('ADMIN')
  @Query(() => [MemberHealth], {
    description:
      "Every member's health: last submission, indicators held, webhook failures and backlog, key use, and why it needs attention; those needing it first (admins only).",
  })
  memberHealth(@CurrentMember() me: AuthenticatedMember): Promise<MemberHealth[]> {
    return this.reports.memberHealth(me.id);
  }

  @Roles('ADMIN')
  @Query(() => FederationReport, {
    description:
      'What the federation did in [from, to): indicators and matches by type, time to match, verdict shares, common and suppressed counts, active members; no figure drawn from fewer than MATCH_MIN_MEMBERS members (admins only).',
  })
  federationReport(@CurrentMember() me: AuthenticatedMember, @Args() args: FederationReportArgs): Promise<FederationReport> {
    return this.reports.federationReport(me.id, args.from, args.to);
  }
}
