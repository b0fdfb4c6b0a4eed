// Types of the generated validators.js (see ../validators-codegen.ts).
import type { ValidateFunction } from 'ajv/dist/2020.js';

export declare const vm: ValidateFunction;
export declare const config: ValidateFunction;
