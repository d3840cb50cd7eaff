import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SchedulesModule } from '@app/schedules';
import { CapsuleEntity } from './capsule.entity';
import { CapsulesController } from './capsules.controller';
import { CapsulesRepository } from './capsules.repository';
import { CapsulesService } from './capsules.service';

@Module({
  imports: [TypeOrmModule.forFeature([CapsuleEntity]), SchedulesModule],
  controllers: [CapsulesController],
  providers: [CapsulesRepository, CapsulesService],
  exports: [CapsulesService],
})
export class CapsulesModule {}
