/** Explanations engine (SPEC §2.7): Grad-CAM, CAMERAS, sanity score, saliency-enhanced PGD, comparisons. */
export { SaliencyError } from './errors'
export { gradCam, type GradCamOptions } from './gradcam'
export {
  cameras,
  camerasDetailed,
  defaultCamerasScales,
  type CamerasDetail,
  type CamerasOptions
} from './cameras'
export { resizeBicubic } from './bicubic'
export { adaptiveAvgPool, adaptivePoolMatrix, nativeGridClassifier } from './nativeGrid'
export {
  sanityScore,
  sanityScores,
  probabilityCurve,
  pixelAblationEffects,
  orderPixels,
  normalisedArea,
  type Baseline,
  type SanityOptions,
  type SanityResult
} from './sanity'
export {
  saliencyPgd,
  weightedPgd,
  compareSaliencyPgd,
  pgdReport,
  type PgdComparison,
  type PgdOptions,
  type PgdReport,
  type SaliencyPgdOptions
} from './saliencyPgd'
export {
  explainModels,
  explainAdversarial,
  renderHeatmap,
  jetColor,
  pick,
  type ArrayData,
  type ModelExplanation,
  type SaliencyMethod,
  SALIENCY_METHODS
} from './compare'
