import { Module } from '@nestjs/common';
import { ReportsResolver } from './reports.resolver.js';
import { ReportsService } from './reports.service.js';

/** Operators' cross-member views (API role). */
@Module({ providers: [ReportsService, ReportsResolver] })
export class ReportsModule {}
