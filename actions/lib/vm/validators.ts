import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import configSchema from '../../../schemas/config.schema.json' with { type: 'json' };
import vmSchema from '../../../schemas/vm.schema.json' with { type: 'json' };
import * as compiled from './generated/validators.js';

export type { ErrorObject, ValidateFunction };

/** A compiled validator with the schema it came from (whose hints and keys messages use). */
export interface SchemaValidator {
  validate: ValidateFunction;
  schema: object;
}

/**
 * Validates one VM definition against schemas/vm.schema.json. The code was compiled ahead of
 * time (generated/validators.js), so no Ajv compiler runs or loads here.
 */
export function vmValidator(): SchemaValidator {
  return { validate: compiled.vm, schema: vmSchema };
}

/** Validates pve-gitops.yaml against schemas/config.schema.json. */
export function configValidator(): SchemaValidator {
  return { validate: compiled.config, schema: configSchema };
}
