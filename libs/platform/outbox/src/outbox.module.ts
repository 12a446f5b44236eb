import { Module } from '@nestjs/common';
import { OutboxService } from './outbox.service.js';

/** Publishing side of the outbox, for any role. */
@Module({
  providers: [OutboxService],
  exports: [OutboxService],
})
export class OutboxModule {}
