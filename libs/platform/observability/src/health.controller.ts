import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@app/common';
import { ReadinessService } from './readiness.service.js';
import { MetricsService } from './metrics.service.js';

/** Liveness and readiness probes; outside GraphQL and unauthenticated by design. */
@Public()
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** The process is alive (event loop turning); says nothing about dependencies. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when Postgres, Redis and the schema are ready; 503 naming what is not. */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response) {
    const report = await this.readiness.check();
    res.status(report.status === 'ready' ? 200 : 503);
    return report;
  }
}

/** Prometheus metrics on the role's own port: the worker's, whose port serves nothing else. */
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** The process's metrics in the Prometheus text format. */
  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async prometheus(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
