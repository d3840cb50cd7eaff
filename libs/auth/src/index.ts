export * from './api-key-format';
export * from './api-key.entity';
export * from './api-keys.service';
export * from './auth.decorators';
export * from './auth.errors';
export * from './auth.module';
export * from './rate-limiter';
export type {} from './fastify-request';
export * from './auth-policy';
