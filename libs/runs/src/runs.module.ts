import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertsModule } from '@app/alerts';
import { CapsulesModule } from '@app/capsules';
import { ArtifactsController } from './artifacts.controller';
import { RunEntity } from './run.entity';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';

@Module({
  imports: [TypeOrmModule.forFeature([RunEntity]), CapsulesModule, AlertsModule],
  controllers: [RunsController, ArtifactsController],
  providers: [RunsRepository, RunsService],
  exports: [RunsService],
})
export class RunsModule {}
