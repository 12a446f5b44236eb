import { assertUnreachable, DomainError, type GraphQLErrorCode } from '@app/common';

/** Why a campaign operation was refused. */
export enum CampaignErrorCode {
  /** No campaign of the calling member has this id. */
  NotFound = 'CAMPAIGN_NOT_FOUND',
}

/** Errors of the campaigns module; nothing was changed when one is thrown. */
export class CampaignError extends DomainError<CampaignErrorCode> {
  get graphqlCode(): GraphQLErrorCode {
    switch (this.code) {
      case CampaignErrorCode.NotFound:
        return 'NOT_FOUND';
      default:
        return assertUnreachable(this.code);
    }
  }
}
