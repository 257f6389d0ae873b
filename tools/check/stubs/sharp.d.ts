/**
 * Stands in for sharp's types in the realms without Node (core, protocol, panel, worker).
 * transformers.js's image types name sharp, and sharp's types pull in all of Node's globals
 * (`process`, `Buffer`, `require`), which would let Node-only code type-check in a browser realm.
 * We never touch images, so one opaque type is all its d.ts files need.
 */
export type Sharp = unknown;
declare const sharp: unknown;
export default sharp;
