import type { Command } from 'commander';
import { isValidKeyEpoch, isValidToken } from '@app/sdk';
import {
  addApiOptions,
  allPages,
  apiAction,
  call,
  clientOf,
  fields,
  print,
  printList,
  wholeNumber,
  type ApiOptions,
  type Page,
} from '../member-api.js';
import { CliFailure, indicatorTypeArgument } from './hash.command.js';

const MEMBER_FIELDS = 'id clientId name role status indicatorsPerHour suspendedAt suspendedReason createdAt';
const MEMBERS = `query Members($first: Int, $after: String) {
  members(first: $first, after: $after) { edges { node { ${MEMBER_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
const WITHDRAW = `mutation Withdraw($id: ID!) {
  withdrawInvitation(invitationId: $id) { id organizationName clientId memberId expiresAt acceptedAt withdrawnAt }
}`;
const SUSPEND = `mutation Suspend($id: ID!, $reason: String!) { suspendMember(id: $id, reason: $reason) { ${MEMBER_FIELDS} } }`;
const REINSTATE = `mutation Reinstate($id: ID!) { reinstateMember(id: $id) { ${MEMBER_FIELDS} } }`;
const SET_QUOTA = `mutation SetQuota($id: ID!, $perHour: Int) { setSubmissionQuota(memberId: $id, indicatorsPerHour: $perHour) { ${MEMBER_FIELDS} } }`;
const SUPPRESSED = `query Suppressed($first: Int, $after: String) {
  suppressedTokens(first: $first, after: $after) { edges { node { type token keyEpoch reason createdAt } } pageInfo { hasNextPage endCursor } }
}`;
const SUPPRESS = `mutation Suppress($input: SuppressTokenInput!) { suppressToken(input: $input) { type token keyEpoch reason createdAt } }`;
const UNSUPPRESS = `mutation Unsuppress($input: UnsuppressTokenInput!) { unsuppressToken(input: $input) }`;

interface Member {
  id: string;
  clientId: string;
  name: string;
  role: string;
  status: string;
  indicatorsPerHour: number | null;
  suspendedAt: string | null;
  suspendedReason: string | null;
}
interface Suppressed {
  type: string;
  token: string;
  keyEpoch: string;
  reason: string;
  createdAt: string;
}

const memberRow = (m: Member) => [m.id, m.status.padEnd(9), m.role.padEnd(6), m.clientId, m.name].join('  ');
const memberFields = (m: Member) =>
  fields([
    ['id', m.id],
    ['name', m.name],
    ['client id', m.clientId],
    ['role', m.role],
    ['status', m.status],
    ['quota per hour', m.indicatorsPerHour ?? 'server default'],
    ['suspended', m.suspendedAt ? `${m.suspendedAt} (${m.suspendedReason ?? ''})` : null],
  ]);
const suppressedRow = (s: Suppressed) => [s.type.padEnd(19), s.keyEpoch.padEnd(10), s.token, s.createdAt, s.reason].join('  ');

/** type, epoch and token of `suppressions add|remove`, checked here so a typo names its field. */
function suppressionTarget(type: string, epoch: string, token: string): { type: string; keyEpoch: string; token: string } {
  if (!isValidKeyEpoch(epoch)) throw new CliFailure(`<epoch> ${JSON.stringify(epoch)} must match ^[a-z0-9][a-z0-9._-]{0,31}$`);
  if (!isValidToken(token)) throw new CliFailure('<token> must be 64 lowercase hex characters');
  return { type: indicatorTypeArgument(type), keyEpoch: epoch, token };
}

/**
 * `admin ...`: what an admin does through the API (its own credentials, so
 * every change is audited under its name): list members, withdraw an
 * invitation, suspend, reinstate, set a quota, keep the suppression list.
 */
export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('(admin) members, invitations, suspension, quotas and the suppression list, through the API');
  const adminOptions = (command: Command) => addApiOptions(command, "an admin's");

  adminOptions(admin.command('members').description('every member, oldest first')).action(
    apiAction('admin members', async (options: ApiOptions) => {
      const client = clientOf(options);
      const members = await allPages<Member>(
        async (after) => (await call<{ members: Page<Member> }>(client, MEMBERS, { first: 100, after })).members,
      );
      printList(options, members, memberRow, 'member');
    }),
  );

  adminOptions(
    admin
      .command('withdraw-invitation')
      .description('withdraw an invitation not yet accepted; its token is refused from then on')
      .argument('<invitation-id>', 'the invitation id `invite` printed'),
  ).action(
    apiAction('admin withdraw-invitation', async (id: string, options: ApiOptions) => {
      const data = await call<{ withdrawInvitation: { id: string; organizationName: string; clientId: string; withdrawnAt: string } }>(
        clientOf(options),
        WITHDRAW,
        { id },
      );
      const invitation = data.withdrawInvitation;
      print(options, invitation, () =>
        fields([
          ['invitation id', invitation.id],
          ['organization', invitation.organizationName],
          ['client id', invitation.clientId],
          ['withdrawn at', invitation.withdrawnAt],
        ]),
      );
    }),
  );

  adminOptions(
    admin
      .command('suspend')
      .description('suspend an active member; its tokens are refused at once')
      .argument('<member-id>', 'the member id (`admin members`)')
      .requiredOption('--reason <text>', 'why (1-1000 characters); recorded on the member and in the audit log'),
  ).action(
    apiAction('admin suspend', async (id: string, options: ApiOptions & { reason: string }) => {
      const member = (await call<{ suspendMember: Member }>(clientOf(options), SUSPEND, { id, reason: options.reason })).suspendMember;
      print(options, member, () => memberFields(member));
    }),
  );

  adminOptions(
    admin.command('reinstate').description('make a suspended member active again').argument('<member-id>', 'the member id'),
  ).action(
    apiAction('admin reinstate', async (id: string, options: ApiOptions) => {
      const member = (await call<{ reinstateMember: Member }>(clientOf(options), REINSTATE, { id })).reinstateMember;
      print(options, member, () => memberFields(member));
    }),
  );

  adminOptions(
    admin
      .command('set-quota')
      .description("set a member's submission quota in indicators per hour (`default` restores the server's)")
      .argument('<member-id>', 'the member id')
      .argument('<per-hour>', 'indicators per hour, 0 to 1000000000 (0 stops its submissions), or `default`'),
  ).action(
    apiAction('admin set-quota', async (id: string, perHourText: string, options: ApiOptions) => {
      const perHour = perHourText === 'default' ? null : wholeNumber(perHourText, '<per-hour>', 0, 1_000_000_000);
      const member = (await call<{ setSubmissionQuota: Member }>(clientOf(options), SET_QUOTA, { id, perHour })).setSubmissionQuota;
      print(options, member, () => memberFields(member));
    }),
  );

  const suppressions = admin.command('suppressions').description('the suppression list: known-benign tokens that never alert');
  adminOptions(suppressions.command('list').description('every suppressed token, newest first')).action(
    apiAction('admin suppressions list', async (options: ApiOptions) => {
      const client = clientOf(options);
      const items = await allPages<Suppressed>(
        async (after) => (await call<{ suppressedTokens: Page<Suppressed> }>(client, SUPPRESSED, { first: 100, after })).suppressedTokens,
      );
      printList(options, items, suppressedRow, 'suppressed token');
    }),
  );
  adminOptions(
    suppressions
      .command('add')
      .description('suppress a token; open alerts on it close')
      .argument('<type>', 'indicator type')
      .argument('<epoch>', 'key epoch, e.g. 2026-q4')
      .argument('<token>', 'the token (64 lowercase hex characters)')
      .requiredOption('--reason <text>', 'why (1-1000 characters); kept in the audit log'),
  ).action(
    apiAction('admin suppressions add', async (type: string, epoch: string, token: string, options: ApiOptions & { reason: string }) => {
      const input = { ...suppressionTarget(type, epoch, token), reason: options.reason };
      const item = (await call<{ suppressToken: Suppressed }>(clientOf(options), SUPPRESS, { input })).suppressToken;
      print(options, item, () =>
        fields([
          ['type', item.type],
          ['key epoch', item.keyEpoch],
          ['token', item.token],
          ['reason', item.reason],
        ]),
      );
    }),
  );
  adminOptions(
    suppressions
      .command('remove')
      .description('take a token off the suppression list')
      .argument('<type>', 'indicator type')
      .argument('<epoch>', 'key epoch')
      .argument('<token>', 'the token'),
  ).action(
    apiAction('admin suppressions remove', async (type: string, epoch: string, token: string, options: ApiOptions) => {
      const input = suppressionTarget(type, epoch, token);
      const removed = (await call<{ unsuppressToken: boolean }>(clientOf(options), UNSUPPRESS, { input })).unsuppressToken;
      print(options, { ...input, removed }, () => [removed ? 'removed' : 'was not suppressed']);
    }),
  );
}
