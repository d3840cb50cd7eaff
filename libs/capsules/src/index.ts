export * from './capsule.entity';
export * from './capsule.errors';
export * from './capsules.module';
export * from './capsules.service';
export * from './dto/capsule-response.dto';
