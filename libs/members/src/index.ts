export { hashInvitationToken, INVITATION_TOKEN_PATTERN, newClientId, newInvitationToken } from './credentials.js';
export { InvitationsService } from './invitations.service.js';
export { normalizePublicJwk, publicJwkProblem, type MemberKeyAlgorithm, type NormalizedPublicJwk } from './keys/public-jwk.js';
export { MAX_ACTIVE_KEYS, MemberKeysService } from './member-keys.service.js';
export { MemberError, MemberErrorCode } from './member.error.js';
export { MembersModule } from './members.module.js';
export { MembersService, type BootstrappedAdmin } from './members.service.js';
export { CreateInvitationPayload, Invitation } from './models/invitation.model.js';
export { Member, MemberKey } from './models/member.model.js';
