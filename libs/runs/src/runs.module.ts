import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertsModule } from '@app/alerts';
import { CapsulesModule } from '@app/capsules';
import { ArtifactsController } from './artifacts.controller';
import { RunEntity } from './run.entity';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { WindowBaseKeeper } from './window-base-keeper';
import { WindowBasesRepository } from './window-bases.repository';

@Module({
  imports: [TypeOrmModule.forFeature([RunEntity]), CapsulesModule, AlertsModule],
  controllers: [RunsController, ArtifactsController],
  providers: [RunsRepository, RunsService, WindowBasesRepository, WindowBaseKeeper],
  exports: [RunsService, WindowBaseKeeper],
})
export class RunsModule {}
