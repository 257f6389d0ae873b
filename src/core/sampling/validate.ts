/**
 * Checking a sampler spec before a chain is built. The rules live with each stage's definition
 * (registry.ts); this module is the entry point the rest of the code imports.
 */
export { SamplingConfigError } from './checkParam';
export { STAGE_TYPES, validateSamplerSpec } from './registry';
