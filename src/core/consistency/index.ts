/**
 * Hallucination risk through self-consistency: normalise and cluster sampled answers (lexically,
 * or by meaning with an NLI model), score the main answer's sentences against the samples, and
 * combine agreement, support and the model's own confidence into one risk: calibrated per model
 * with a band, or raw and marked uncalibrated.
 */
export { answerTokens, normalizeAnswer, numberWordsToDigits, stripAnswerPrefix, wordTokens } from './normalize';
export { lcsLength, rougeL, rougeLTokens, similarityOf, tokenF1, tokenF1Tokens, type SimilarityName } from './similarity';
export { clusterAnswers, clusterEntropy, findCluster, type AnswerCluster, type ClusterOptions, type Clustering } from './cluster';
export { splitSentences, type SentenceSpan } from './sentences';
export {
  contentTokens,
  fitUnigram,
  SENTENCE_SCORER,
  sentenceRisks,
  spacyLikeTokens,
  unigramMaxScores,
  unigramNegLogProb,
  unigramScores,
  type SentenceSupport,
  type UnigramModel,
} from './sentenceSupport';
export {
  auroc,
  averagePrecision,
  averageRanks,
  pearson,
  prAucTrapezoid,
  precisionRecallAt,
  precisionRecallCurve,
  spearman,
  type PrPoint,
} from './metrics';
export {
  answerNoun,
  assessRisk,
  CalibrationError,
  checkCalibration,
  CONFIDENCE_PARTS,
  explainRisk,
  FACTS_LM_CALIBRATION,
  RISK_BANDS,
  RISK_PARTS,
  riskBand,
  riskLogit,
  riskParts,
  riskScore,
  SAMPLE_PARTS,
  sigmoid,
  uncalibratedScore,
  type Calibration,
  type RiskBand,
  type RiskLevel,
  type RiskPartName,
  type RiskParts,
} from './risk';
export {
  CalibrationFitError,
  chooseRidge,
  fitLogistic,
  fitRiskCalibration,
  MIN_PER_CLASS,
  partAurocs,
  RIDGE_CANDIDATES,
  shuffle,
  type LabelledParts,
  type LogisticFit,
} from './fit';
export { answerMatches, CalibrationSetError, isWrongAnswer, parseCalibrationSet, type LabelledQuestion } from './calibrationSet';
export {
  collectCalibrationRows,
  DEFAULT_RISK_SETTINGS,
  drawForRisk,
  drawForRiskWith,
  scoreDraw,
  type CalibrationRow,
  type RiskDraw,
  type RiskSettings,
} from './riskRun';
export {
  answerSentences,
  ConsistencyError,
  scoreConsistency,
  type ConsistencyInput,
  type ConsistencyResult,
  type SentenceRisk,
} from './scoreConsistency';
export {
  causalLmYesNo,
  clusterByEquivalence,
  entailmentMatrix,
  entails,
  nliSentenceSupport,
  promptSentenceSupport,
  semanticClustering,
  semanticEvidence,
  supportPrompt,
  type AgreementMethod,
  type NliJudge,
  type NliProbabilities,
  type YesNoJudge,
} from './semantic';
