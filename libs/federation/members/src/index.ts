export { newClientId } from './credentials.js';
export { MemberError, MemberErrorCode } from './member.error.js';
export { MembersModule } from './members.module.js';
export { MembersService } from './members.service.js';
export { Member } from './models/member.model.js';
