import type { ResourceType } from './resources.js';

/**
 * An API error as the Kubernetes API server reports it: an HTTP status with a `Status` body.
 * Reasons and wordings follow k8s.io/apimachinery/pkg/api/errors/errors.go.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The `Status` object sent as the response body (or inside a watch ERROR event). */
  toStatus() {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

/** A `Status` object with status Failure. */
export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** `deployments.apps` or `pods`: how error messages name a resource. */
export const qualified = (t: ResourceType) => (t.group ? `${t.resource}.${t.group}` : t.resource);

const details = (t: ResourceType, name: string) => ({
  name,
  ...(t.group ? { group: t.group } : {}),
  kind: t.resource,
});

export const notFound = (t: ResourceType, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(t)} "${name}" not found`, details(t, name));

export const alreadyExists = (t: ResourceType, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(t)} "${name}" already exists`, details(t, name));

export const conflict = (t: ResourceType, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(t, name),
  );

/** 422 Invalid: `Deployment.apps "x" is invalid: <field>: <problem>`. */
export function invalid(t: ResourceType, name: string, field: string, problem: string) {
  const kind = t.group ? `${t.kind}.${t.group}` : t.kind;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${field}: ${problem}`, {
    ...details(t, name),
    kind: t.kind,
    causes: [{ reason: 'FieldValueInvalid', message: problem, field }],
  });
}

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

/** The generic 404 for a path no API group serves. */
export const pathNotFound = () =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export const methodNotAllowed = () =>
  new ApiError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );

/** A watch from a resourceVersion older than the history kept (watch cache wording). */
export const tooOld = (asked: number, oldest: number) =>
  new ApiError(410, 'Expired', `too old resource version: ${asked} (${oldest})`);
