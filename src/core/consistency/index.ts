/**
 * Hallucination risk through self-consistency: normalise and cluster sampled answers, score the
 * main answer's sentences against the samples, and combine agreement, support and the model's
 * own confidence into one calibrated risk with a band and a one-line explanation.
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
  CalibrationError,
  checkCalibration,
  DEFAULT_CALIBRATION,
  explainRisk,
  RISK_FEATURES,
  riskBand,
  riskLogit,
  riskScore,
  sigmoid,
  type Calibration,
  type RiskBand,
  type RiskFeatureName,
  type RiskFeatures,
} from './risk';
export {
  ConsistencyError,
  scoreConsistency,
  type ConsistencyInput,
  type ConsistencyResult,
  type SentenceRisk,
} from './scoreConsistency';
