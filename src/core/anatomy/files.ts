/**
 * The files of a model folder that Show Model Anatomy reads (the ONNX graph, the config and the
 * model card with its training tokens): one list, so the command and the .vsix check agree.
 */
export const ANATOMY_FILES = { onnx: 'onnx/model.onnx', config: 'config.json', card: 'README.md' } as const;
