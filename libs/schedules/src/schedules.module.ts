import { Module } from '@nestjs/common';
import { SchedulesRepository } from './schedules.repository';
import { SchedulesService } from './schedules.service';
import { SlotsService } from './slots.service';

@Module({
  providers: [SchedulesRepository, SchedulesService, SlotsService],
  exports: [SchedulesService, SlotsService],
})
export class SchedulesModule {}
