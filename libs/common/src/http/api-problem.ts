import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { DomainError, type FieldError, RequestValidationError } from '../errors/domain-error';
import { invalidCursor } from '../pagination/keyset-cursor';
import { type ProblemBody, ProblemDetailsDto, ValidationProblemDto } from './problem-details';
import { problemBody } from './send-problem';

/** The media type of every error answer (RFC 9457); PROBLEM_CONTENT_TYPE adds the charset. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const EXAMPLE_REQUEST_ID = '0f5c1f0e-3d5e-4a43-9d44-2f6b7f3b1f0a';

/**
 * A problem body as the API sends it, for the document's examples: built by
 * the same code as the answer (`problemBody` of the error, or `plainProblem`),
 * with the path and a request id as `sendProblem` adds them.
 */
export function problemExample(problem: DomainError | ProblemBody, instance: string): ProblemBody {
  const body = problem instanceof DomainError ? problemBody(problem) : { ...problem };
  return { ...body, instance, request_id: EXAMPLE_REQUEST_ID };
}

interface MediaTypeObject {
  schema: { $ref: string };
  examples: Record<string, { summary: string; value: ProblemBody }>;
}

export interface ProblemResponseObject {
  description: string;
  content: Record<string, MediaTypeObject>;
}

/** The response object of an error status: problem+json (422: with `errors`), one named example per problem. */
export function problemResponse(
  status: number,
  description: string,
  examples: ProblemBody[],
  schema: Type = status === 422 ? ValidationProblemDto : ProblemDetailsDto,
): ProblemResponseObject {
  return {
    description,
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: { $ref: getSchemaPath(schema) },
        examples: Object.fromEntries(examples.map((example) => [exampleName(example), exampleObject(example)])),
      },
    },
  };
}

/**
 * OpenAPI: an error answer of a route, as `application/problem+json` with
 * realistic examples of that status (one decorator per status and route).
 */
export const ApiProblem = (status: number, description: string, ...examples: ProblemBody[]) =>
  applyDecorators(
    ApiExtraModels(ProblemDetailsDto, ValidationProblemDto),
    ApiResponse({ status, ...problemResponse(status, description, examples) }),
  );

/** `ApiProblem` whose body has members of its own, described by `schema` (a problem DTO). */
export const ApiProblemOf = (schema: Type, status: number, description: string, ...examples: ProblemBody[]) =>
  applyDecorators(
    ApiExtraModels(schema),
    ApiResponse({ status, ...problemResponse(status, description, examples, schema) }),
  );

/**
 * Adds an error answer to an operation of a built document, merging the
 * examples and descriptions into a status the route already documents: the
 * errors every route of a kind shares (keys, bodies, shutdown) are added this
 * way, once, in createOpenApiDocument.
 */
export function addProblemResponse(
  responses: Record<string, unknown>,
  status: number,
  description: string,
  examples: ProblemBody[],
): void {
  const added = problemResponse(status, description, examples);
  const existing = responses[String(status)] as
    { description?: string; content?: Record<string, Partial<MediaTypeObject>> } | undefined;
  if (!existing) {
    responses[String(status)] = added;
    return;
  }
  const media = (existing.content ??= {});
  const problem = media[PROBLEM_MEDIA_TYPE];
  if (problem) {
    problem.examples = { ...problem.examples, ...added.content[PROBLEM_MEDIA_TYPE].examples };
  } else {
    media[PROBLEM_MEDIA_TYPE] = added.content[PROBLEM_MEDIA_TYPE];
  }
  if (!existing.description?.includes(description)) {
    existing.description = existing.description ? `${existing.description}. ${description}` : description;
  }
}

function exampleName(example: ProblemBody): string {
  return typeof example.code === 'string' ? example.code : String(example.status);
}

function exampleObject(example: ProblemBody): { summary: string; value: ProblemBody } {
  return { summary: `${exampleName(example)}: ${example.detail}`, value: example };
}

/** OpenAPI: the 400 of a paginated list's malformed `cursor`. */
export const ApiInvalidCursor = (path: string) =>
  ApiProblem(400, 'Malformed cursor', problemExample(invalidCursor(), path));

/** OpenAPI: the 422 of invalid fields (body or query), with an example of the listed `errors`. */
export const ApiInvalidFields = (path: string, description: string, ...errors: FieldError[]) =>
  ApiProblem(422, description, problemExample(new RequestValidationError(errors), path));
