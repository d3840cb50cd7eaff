import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth, MetricsAccess } from '@app/auth';
import { MetricsService } from './metrics.service';

@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @MetricsAccess()
  @ApiKeyAuth()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Text exposition format. Public when METRICS_PUBLIC=true; otherwise it needs a key with the read scope. ' +
      'If the database is down, the database-backed series are left out rather than failing the scrape.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text format',
    schema: {
      type: 'string',
      example:
        '# HELP capsules_http_requests_total HTTP requests answered, by method, route template and status\n' +
        '# TYPE capsules_http_requests_total counter\n' +
        'capsules_http_requests_total{method="POST",route="/api/capsules/run",status="200"} 42\n',
    },
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
