import { compactVerify, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { AuditCheckpoint as AuditCheckpointRow, PrismaService } from '@app/database';
import type { AuditChainReport } from './audit-chain.js';

/** What a checkpoint's JWS payload says. */
export interface CheckpointClaims {
  typ: 'sigfed-audit-checkpoint';
  headId: string;
  headHash: string;
  count: number;
  iat: number;
}

/**
 * Checks the newest signed checkpoint against an intact chain report: the
 * signature (by the signing key the checkpoint names), its payload against
 * its columns, and that the chain still holds the head it recorded, so
 * removing the newest entries is detected. Returns the report unchanged when
 * there is no checkpoint yet.
 */
export async function checkNewestCheckpoint(prisma: PrismaService, report: AuditChainReport): Promise<AuditChainReport> {
  if (!report.ok) return report;
  const checkpoint = await prisma.auditCheckpoint.findFirst({ orderBy: { id: 'desc' } });
  if (!checkpoint) return report;
  const broken = (reason: string): AuditChainReport => ({ ok: false, count: report.count, brokenId: checkpoint.headId.toString(), reason });
  const key = await prisma.signingKey.findUnique({ where: { kid: checkpoint.kid } });
  if (!key) return broken(`checkpoint ${checkpoint.id} names an unknown signing key`);
  let claims: CheckpointClaims;
  try {
    const { payload, protectedHeader } = await compactVerify(checkpoint.jws, await importJWK(key.publicJwk as JWK, key.alg));
    if (protectedHeader.kid !== checkpoint.kid) throw new Error('kid');
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as CheckpointClaims;
  } catch {
    return broken(`checkpoint ${checkpoint.id} has an invalid signature`);
  }
  const headHash = Buffer.from(checkpoint.headHash).toString('hex');
  if (
    claims.typ !== 'sigfed-audit-checkpoint' ||
    claims.headId !== checkpoint.headId.toString() ||
    claims.headHash !== headHash ||
    claims.count !== Number(checkpoint.entryCount)
  ) {
    return broken(`checkpoint ${checkpoint.id} does not match its signed payload`);
  }
  const entry = await prisma.auditEvent.findUnique({ where: { id: checkpoint.headId }, select: { hash: true } });
  if (!entry || Buffer.from(entry.hash).toString('hex') !== headHash || report.count < claims.count) {
    return broken(
      `the entries up to ${claims.headId} recorded by signed checkpoint ${checkpoint.id} are no longer in the chain: the newest entries were removed`,
    );
  }
  return report;
}

/** The key a checkpoint is signed with: the server's CURRENT signing key, as SigningKeyService hands it out. */
export interface CheckpointSigner {
  kid: string;
  key: CryptoKey;
}

/**
 * Signs (JWS, with the signing key's own algorithm) and stores a checkpoint
 * of `head`, the head of a chain the caller has just verified.
 */
export async function writeCheckpoint(
  prisma: PrismaService,
  signer: CheckpointSigner,
  head: { id: string; hash: string },
  count: number,
): Promise<AuditCheckpointRow> {
  const { alg } = await prisma.signingKey.findUniqueOrThrow({ where: { kid: signer.kid }, select: { alg: true } });
  const claims = { typ: 'sigfed-audit-checkpoint', headId: head.id, headHash: head.hash, count };
  const jws = await new SignJWT(claims).setProtectedHeader({ alg, kid: signer.kid }).setIssuedAt().sign(signer.key);
  return prisma.auditCheckpoint.create({
    data: { headId: BigInt(head.id), headHash: Buffer.from(head.hash, 'hex'), entryCount: BigInt(count), kid: signer.kid, jws },
  });
}
