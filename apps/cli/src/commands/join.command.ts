import type { Command } from 'commander';
import { writeCredentialFile } from '../credential-file.js';
import { memberKeyAlg, newMemberKeyPair } from '../member-key.js';
import { CliFailure, reportFailures } from './hash.command.js';

const ACCEPT_INVITATION = `
  mutation Join($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) { id clientId name status }
  }`;

interface JoinOptions {
  invitation: string;
  server: string;
  out: string;
  alg: 'EdDSA' | 'ES256';
}

async function post<T>(server: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new CliFailure(body.errors.map((e) => e.message).join('; '));
  if (!body.data) throw new CliFailure(`unexpected answer from ${server} (HTTP ${res.status})`);
  return body.data;
}

/**
 * `join`: what an invited lab runs. It makes a key pair locally, registers
 * the public half with the invitation token, and writes the credentials file
 * (mode 0600) that `submit` and `alerts` use. The private key never leaves
 * this machine.
 */
export function registerJoin(program: Command): void {
  program
    .command('join')
    .description('accept an invitation: make a key pair locally, register it, write the credentials file')
    .requiredOption('--invitation <token>', 'the invitation token the federation operator sent')
    .requiredOption('--server <url>', 'the server address, e.g. https://sigfed.example')
    .requiredOption('--out <file>', 'where to write the credentials JSON (created with mode 0600, never overwritten)')
    .option('--alg <alg>', 'key type: EdDSA (Ed25519) or ES256 (P-256)', 'EdDSA')
    .action((options: JoinOptions) =>
      reportFailures('join', async () => {
        const alg = memberKeyAlg(options.alg);
        const server = options.server.replace(/\/+$/, '');
        const { serverInfo } = await post<{ serverInfo: { issuer: string } }>(server, '{ serverInfo { issuer } }', {});
        const written = await writeCredentialFile(options.out, async () => {
          const { publicJwk, privateJwk } = await newMemberKeyPair(alg);
          const { acceptInvitation } = await post<{ acceptInvitation: { clientId: string; name: string } }>(server, ACCEPT_INVITATION, {
            input: { invitationToken: options.invitation, publicJwk },
          });
          return { clientId: acceptInvitation.clientId, privateJwk, issuer: serverInfo.issuer };
        });
        console.log(`joined as ${written?.clientId}; credentials written to ${options.out} (keep it secret)`);
      }),
    );
}
