/**
 * Loads every engine folder, each of which registers itself; importing this module is what makes
 * createEngine know them. A new engine is a new folder and one line here.
 */
import './local/main';
import './remote/main';
import './llamacpp/main';

export { createEngine, engineProviders, registerEngineProvider, type EngineProvider, type EngineSpec } from './registry';
