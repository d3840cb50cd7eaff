import Fastify, { type FastifyInstance } from 'fastify';
import request from 'supertest';
import { type OpenApiDocument, OpenApiResponseValidator } from './openapi-response-validator';
import { OpenApiViolationError, ResponseViolations, unclaimedViolations } from './openapi-violations';

const DOCUMENT: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/api/things/{slug}': {
      get: {
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: { type: 'object', properties: { slug: { type: 'string' } }, required: ['slug'] },
              },
            },
          },
        },
      },
    },
  },
};

/** The hook and the supertest side together, on a bare Fastify app (what createAppOnUrl wires into the real one). */
describe('ResponseViolations', () => {
  let fastify: FastifyInstance;
  let violations: ResponseViolations;
  const http = () => request.agent(fastify.server).use((test: request.Test) => violations.attach(test));

  beforeAll(async () => {
    fastify = Fastify({ genReqId: () => `req-${Math.random().toString(36).slice(2)}` });
    violations = new ResponseViolations(new OpenApiResponseValidator(DOCUMENT));
    violations.hook(fastify);
    fastify.addHook('onRequest', (req, reply, done) => {
      void reply.header('x-request-id', req.id);
      done();
    });
    fastify.get('/api/things/:slug', (req, reply) => {
      const { slug } = req.params as { slug: string };
      if (slug === 'good') return { slug };
      if (slug === 'teapot') return reply.status(418).send({ slug });
      return { name: slug };
    });
    await fastify.ready();
  });
  afterAll(async () => {
    violations.close();
    await fastify.close();
  });
  afterEach(() => expect(unclaimedViolations()).toEqual([]));

  it('lets a documented answer through', async () => {
    await http().get('/api/things/good').expect(200, { slug: 'good' });
  });

  it('fails the request whose body breaks the schema, with the ajv errors', async () => {
    const failure = http().get('/api/things/bad').expect(200);
    await expect(failure).rejects.toThrow(OpenApiViolationError);
    await expect(http().get('/api/things/bad')).rejects.toThrow(
      /GET \/api\/things\/bad → 200 \(operation GET \/api\/things\/\{slug\}\)[\s\S]*must have required property 'slug'/,
    );
  });

  it('fails the request that got an undocumented status, also when its own expectation passed', async () => {
    await expect(http().get('/api/things/teapot').expect(418)).rejects.toThrow('status 418 is not documented');
  });

  it("adds the violation to the test's own failed expectation", async () => {
    await expect(http().get('/api/things/teapot').expect(200)).rejects.toThrow(
      /expected 200 "OK", got 418[\s\S]*status 418 is not documented/,
    );
  });

  it('keeps the violation of an answer no supertest request claimed for the afterEach sweep', async () => {
    const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
    expect((await fetch(`${address}/api/things/bad`)).status).toBe(200);
    const swept = unclaimedViolations();
    expect(swept).toHaveLength(1);
    expect(swept[0]).toContain("must have required property 'slug'");
  });
});
