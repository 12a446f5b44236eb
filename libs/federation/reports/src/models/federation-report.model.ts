import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { IndicatorType } from '@app/database';

@ObjectType({ description: 'One figure of the federation report, withheld when too few members stand behind it.' })
export class ReportFigure {
  @Field(() => Float, {
    nullable: true,
    description: 'The figure; null when it is withheld (see `withheldReason`) or there is nothing to measure.',
  })
  value: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why `value` is null: `fewer_than_min_members` (drawn from fewer than MATCH_MIN_MEMBERS members) or `no_data`.',
  })
  withheldReason: string | null;
}

@ObjectType({ description: 'Indicators and matches of one indicator type in the period.' })
export class ReportTypeFigures {
  @Field(() => IndicatorType, { description: 'The indicator type.' })
  type: IndicatorType;

  @Field(() => ReportFigure, { description: 'Indicators first submitted in the period.' })
  indicators: ReportFigure;

  @Field(() => ReportFigure, { description: 'Matches (tokens held by enough members) made in the period.' })
  matches: ReportFigure;
}

@ObjectType({ description: 'The figures of a member that disclosed its identity on indicators of the period (only those indicators).' })
export class ReportDisclosedMember {
  @Field(() => ID, { description: 'The member id.' })
  memberId: string;

  @Field({ description: 'The member name.' })
  name: string;

  @Field(() => Float, { description: 'Indicators it submitted with its identity disclosed in the period.' })
  indicators: number;

  @Field(() => Float, { description: 'Of those, indicators that are part of a match.' })
  matched: number;
}

@ObjectType({
  description:
    'What the federation did in a period, k-anonymous: no figure drawn from fewer than MATCH_MIN_MEMBERS members, and no per-member figure except for members that disclosed their identity (admins only).',
})
export class FederationReport {
  @Field(() => Date, { description: 'Start of the period (inclusive).' })
  from: Date;

  @Field(() => Date, { description: 'End of the period (exclusive).' })
  to: Date;

  @Field(() => Int, { description: 'MATCH_MIN_MEMBERS: the fewest members a figure may be drawn from.' })
  minMembers: number;

  @Field(() => [ReportTypeFigures], { description: 'Indicators and matches by indicator type.' })
  byType: ReportTypeFigures[];

  @Field(() => ReportFigure, {
    description: 'Median seconds from the first submission of a token to its match, over matches made in the period.',
  })
  medianSecondsToFirstMatch: ReportFigure;

  @Field(() => ReportFigure, { description: 'Alerts created in the period.' })
  alerts: ReportFigure;

  @Field(() => ReportFigure, { description: 'Share (0 to 1) of the alerts of the period that their member judged CONFIRMED_ABUSE.' })
  confirmedShare: ReportFigure;

  @Field(() => ReportFigure, { description: 'Share (0 to 1) of the alerts of the period that their member judged FALSE_POSITIVE.' })
  falsePositiveShare: ReportFigure;

  @Field(() => ReportFigure, { description: 'Matches of the period marked COMMON (held too widely to alert on).' })
  common: ReportFigure;

  @Field(() => Int, { description: 'Tokens admins added to the suppression list in the period.' })
  suppressed: number;

  @Field(() => ReportFigure, { description: 'Members that submitted in the period.' })
  activeMembers: ReportFigure;

  @Field(() => [ReportDisclosedMember], { description: 'Per-member figures, only for members that disclosed their identity.' })
  disclosedMembers: ReportDisclosedMember[];
}
