import type { Command } from 'commander';
import { CLI_ACTOR } from '@app/audit';
import { SigningKeyDecryptionError, SigningKeyService, SigningKeysModule, type RotationResult } from '@app/auth';
import { StartupError } from '@app/common';
import { loadConfig, type AppConfig } from '@app/config';
import { withCliContext } from '../cli-context.js';

/**
 * Makes a new CURRENT signing key and retires the old one (still published
 * and accepted until the tokens it signed have expired). API processes pick
 * the new key up within seconds.
 */
export async function rotateSigningKey(config: AppConfig, options: { dataKeyLost?: boolean } = {}): Promise<RotationResult> {
  return withCliContext(
    config,
    async (app) => {
      try {
        return await app.get(SigningKeyService).rotate(CLI_ACTOR, options);
      } catch (error) {
        if (error instanceof SigningKeyDecryptionError) throw new StartupError(error.message);
        throw error;
      }
    },
    [SigningKeysModule],
  );
}

/** `rotate-signing-key [--data-key-lost]`. */
export function registerRotateSigningKey(program: Command): void {
  program
    .command('rotate-signing-key')
    .description('create a new token-signing key and retire the current one (issued tokens stay valid)')
    .option('--data-key-lost', 'rotate even though the data key cannot decrypt the current key (it was lost)')
    .action(async (options: { dataKeyLost?: boolean }) => {
      const result = await rotateSigningKey(loadConfig(), options);
      console.log(`new signing key ${result.kid} is current`);
      if (result.retired.length) console.log(`retired ${result.retired.join(', ')} (published until its tokens expire)`);
    });
}
