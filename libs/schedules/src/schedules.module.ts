import { Module } from '@nestjs/common';
import { SchedulesRepository } from './schedules.repository';
import { SchedulesService } from './schedules.service';
import { SlotCloser } from './slot-closer';
import { SlotOutcomesRepository } from './slot-outcomes.repository';
import { SlotsService } from './slots.service';

@Module({
  providers: [SchedulesRepository, SchedulesService, SlotsService, SlotOutcomesRepository, SlotCloser],
  exports: [SchedulesService, SlotsService, SlotCloser],
})
export class SchedulesModule {}
