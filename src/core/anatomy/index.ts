/** Model anatomy's public API: parameter counts by component from ONNX bytes and config.json. */
export { anatomyFromOnnx, CHINCHILLA_TOKENS_PER_PARAMETER } from './anatomy';
export type { ChinchillaComparison, ComponentSummary, LayerSummary, ModelAnatomy, ModelCardInput, TensorSummary } from './anatomy';
export { COMPONENT_LABELS, COMPONENT_ORDER } from './components';
export type { ComponentId, TensorPlace } from './components';
export { architectureFromConfig, parametersFromConfig } from './config';
export type { Architecture, ComponentCounts, ConfigCounts } from './config';
export { factsFromModelCard } from './modelCard';
export { ANATOMY_FILES } from './files';
export type { ModelCardFacts } from './modelCard';
export { dataTypeName, OnnxFormatError, readOnnxModel } from './onnx';
export type { OnnxModelInfo, OnnxNodeInfo, OnnxTensorInfo } from './onnx';
