import { ApiProperty } from '@nestjs/swagger';

export class ServiceInfoDto {
  @ApiProperty({ example: 'Codex Capsules' })
  service!: string;

  @ApiProperty({ example: '0.1.0' })
  version!: string;

  @ApiProperty({ example: 'Registry and run ledger for operational jobs (capsules)' })
  description!: string;

  @ApiProperty({ example: '/docs' })
  api_docs!: string;

  @ApiProperty({ example: '/api/docs' })
  capsules_api!: string;
}

export class LivenessDto {
  @ApiProperty({ example: 'healthy', enum: ['healthy'] })
  status!: 'healthy';

  @ApiProperty({ example: '2026-11-24T06:08:31.860Z', format: 'date-time' })
  timestamp!: string;
}
