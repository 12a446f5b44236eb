import { Option, type Command } from 'commander';
import { SigfedClient } from '@app/sdk';
import { CliFailure, loadCredentials, reportFailures } from './hash.command.js';

const CREATE_INVITATION = `
  mutation Invite($input: CreateInvitationInput!) {
    createInvitation(input: $input) {
      invitationToken
      invitation { id organizationName contactEmail clientId expiresAt }
    }
  }`;

interface InviteOptions {
  credentials?: string;
  server?: string;
  org: string;
  email: string;
  expiresInHours?: string;
}

/** `invite`: an admin invites an organization and gets its one-time invitation token. */
export function registerInvite(program: Command): void {
  program
    .command('invite')
    .description('(admin) invite an organization; prints its one-time invitation token')
    .addOption(new Option('--credentials <path>', "an admin's credentials JSON").env('SIGFED_CREDENTIALS'))
    .option('--server <url>', "server address (default: the credentials' issuer)")
    .requiredOption('--org <name>', 'the organization to invite')
    .requiredOption('--email <address>', 'its security contact')
    .option('--expires-in-hours <n>', 'how long the token stays valid (server default when omitted)')
    .action((options: InviteOptions) =>
      reportFailures('invite', async () => {
        if (!options.credentials) throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required');
        const credentials = loadCredentials(options.credentials);
        const client = SigfedClient.fromCredentials(credentials, { baseUrl: options.server });
        const input: Record<string, unknown> = { organizationName: options.org, contactEmail: options.email };
        if (options.expiresInHours !== undefined) {
          if (!/^\d+$/.test(options.expiresInHours)) throw new CliFailure('--expires-in-hours must be a whole number');
          input.expiresInHours = Number(options.expiresInHours);
        }
        const data = await client.graphql<{
          createInvitation: {
            invitationToken: string;
            invitation: { id: string; organizationName: string; clientId: string; expiresAt: string };
          };
        }>(CREATE_INVITATION, { input }, { retry: false });
        const { invitationToken, invitation } = data.createInvitation;
        console.log(`invitation id     ${invitation.id}`);
        console.log(`organization      ${invitation.organizationName}`);
        console.log(`client id         ${invitation.clientId}`);
        console.log(`expires at        ${invitation.expiresAt}`);
        console.log(`invitation token  ${invitationToken}`);
        process.stderr.write('The token is shown only now; send it to the organization over a trusted channel.\n');
      }),
    );
}
