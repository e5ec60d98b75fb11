/**
 * The name lists a request may use. The contract cannot import the engine (it must stay free of
 * tensors and node), so the engine keeps its registries and test/contract/names.test.ts proves
 * that each list here equals the engine's: adding an attack to the engine without adding it
 * here fails the suite, not a user's request.
 */

/** Transfer attacks of the sweep and the defense table (engine/attacks registry). */
export const ATTACK_NAMES = ['fgsm', 'ifgsm', 'mifgsm', 'pgd', 'di2fgsm'] as const
/** The robustness evaluation's own attacks (engine/attacks registry, group 'evaluation'). */
export const EVALUATION_ATTACK_NAMES = ['apgd-ce', 'apgd-dlr', 'square'] as const
/**
 * Threat models of the robustness evaluation, in the order they run (engine/audit
 * robustnessTypes.ts THREAT_ORDER): transfer from a source, ensemble transfer, white-box PGD
 * with restarts, APGD-CE, APGD-DLR, Square.
 */
export const THREAT_NAMES = [
  'transfer',
  'ensemble',
  'pgd',
  'apgd-ce',
  'apgd-dlr',
  'square'
] as const
/** Sanity flags an evaluation may raise (engine/audit/sanityFlags.ts). */
export const SANITY_FLAG_CODES = [
  'gradient-masking',
  'gradient-free-stronger',
  'more-iterations-weaker',
  'white-box-weaker-than-transfer',
  'accuracy-cost'
] as const
/** Built-in architectures (engine/models/architecture.ts). */
export const ARCHITECTURES = ['cnn', 'vgg11', 'vgg16', 'resnet20', 'resnet32'] as const
/** Forms of the orthogonality penalty P(δ) (engine/training/penalty.ts). */
export const PENALTY_FORMS = ['signed', 'absolute', 'squared'] as const
/** Input-transformation defenses of Table 6.3 (engine/defenses registry). */
export const DEFENSE_NAMES = ['jpeg', 'tvm', 'bitDepth', 'bilateral'] as const
/** Saliency methods (engine/saliency). */
export const SALIENCY_METHODS = ['gradcam', 'cameras'] as const
/**
 * CAMERAS on a model with a fixed-size head (flatten + dense): run the adaptive-pool variant, or
 * refuse and say why (engine/saliency/nativeGrid.ts).
 */
export const FIXED_SIZE_HEADS = ['adaptive-pool', 'refuse'] as const
/** Where a dataset import reads from; `auto` lets the importers' `match` decide. */
export const IMPORT_SOURCES = ['builtin', 'auto', 'imageFolder', 'cifar10', 'idx'] as const
/** Why the host is asked for a path. */
export const PICK_PURPOSES = [
  'project-new',
  'project-open',
  'project-save-as',
  'import-folder',
  'import-files',
  'model-import',
  'export-file',
  'export-folder'
] as const

/** Kinds of long work the job queue runs (jobs.ts maps each to the channel that starts it). */
export const JOB_KINDS = [
  'import-dataset',
  'train',
  'similarity',
  'attack-sweep',
  'attack-preview',
  'defense-table',
  'explain',
  'explain-adversarial',
  'sanity',
  'saliency-pgd',
  'model-import',
  'model-export',
  'model-inspect',
  'robustness-evaluation'
] as const

/** File formats a model is imported from and exported to (ONNX, or a TF.js Layers folder). */
export const MODEL_FORMATS = ['onnx', 'layers'] as const
/** How an ONNX model's input is laid out: PyTorch exports NCHW, TensorFlow NHWC (engine/models/onnx/preprocessing.ts). */
export const INPUT_LAYOUTS = ['NCHW', 'NHWC'] as const
/** Channel order an imported model expects; images are stored RGB. */
export const CHANNEL_ORDERS = ['RGB', 'BGR'] as const
/** Pixel range an imported model expects: 1 for [0, 1], 255 for [0, 255]. */
export const VALUE_SCALES = [1, 255] as const

export type AttackName = (typeof ATTACK_NAMES)[number]
export type EvaluationAttackName = (typeof EVALUATION_ATTACK_NAMES)[number]
export type ThreatName = (typeof THREAT_NAMES)[number]
export type SanityFlagCode = (typeof SANITY_FLAG_CODES)[number]
export type ArchitectureName = (typeof ARCHITECTURES)[number]
export type PenaltyForm = (typeof PENALTY_FORMS)[number]
export type DefenseName = (typeof DEFENSE_NAMES)[number]
export type SaliencyMethodName = (typeof SALIENCY_METHODS)[number]
export type FixedSizeHead = (typeof FIXED_SIZE_HEADS)[number]
export type ImportSourceKind = (typeof IMPORT_SOURCES)[number]
export type PickPurpose = (typeof PICK_PURPOSES)[number]
export type JobKind = (typeof JOB_KINDS)[number]
export type ModelFormat = (typeof MODEL_FORMATS)[number]
export type InputLayout = (typeof INPUT_LAYOUTS)[number]
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number]
export type ValueScale = (typeof VALUE_SCALES)[number]
