/**
 * One vocabulary for every place a number or a method is shown: the window (tables, job bar,
 * "?" help), the HTML report, the CSV exports and the labelled PNGs. It lives in the contract
 * because both sides read it (the renderer may import nothing else of the main side), and it
 * holds only plain data and string functions.
 *
 * Units (issue 16): ε is always a percentage of the pixel range ("3 %"), never a fraction
 * ("0.03") or a count of 8-bit levels ("7.65/255"); accuracies and fooling ratios are always
 * percentages. CSV headers say the unit: `epsilon_pct`, `fooling_pct`, `accuracy_pct`.
 */
import type { AttackName, ArchitectureName, DefenseName, PenaltyForm } from './names'

/** Trims a number to at most `digits` decimals, without trailing zeros ("3", "0.5", "4.71"). */
function trimmed(x: number, digits: number): string {
  return String(+x.toFixed(digits))
}

/**
 * ε (a fraction of the pixel range) in percent: 0.03 → "3 %", 0.005 → "0.5 %", 12/255 →
 * "4.71 %". Two decimals keep the 8-bit steps (1/255 = 0.39 %) apart.
 */
export function epsilonPercent(epsilon: number): string {
  return Number.isFinite(epsilon) ? `${trimmed(epsilon * 100, 2)} %` : '—'
}

/** ε as a CSV cell: the percentage as a plain number (0.03 → 3), under an `epsilon_pct` header. */
export function epsilonPctValue(epsilon: number): number {
  return +(epsilon * 100).toFixed(6)
}

/** A ratio in [0, 1] (accuracy, fooling ratio) in percent: 0.1234 → "12.3 %". */
export function ratioPercent(ratio: number | null | undefined, digits = 1): string {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio)
    ? '—'
    : `${(ratio * 100).toFixed(digits)} %`
}

/** A ratio as a CSV cell in percent (0.1234 → 12.34), under a `…_pct` header; '' when unknown. */
export function ratioPctValue(ratio: number | null | undefined): number | '' {
  return ratio === null || ratio === undefined || !Number.isFinite(ratio)
    ? ''
    : +(ratio * 100).toFixed(4)
}

/** A name and one or two sentences an analyst reads without the thesis at hand. */
export interface Words {
  label: string
  help: string
}

/**
 * The attacks: the transfer attacks of the contract (ATTACK_NAMES), the explanation screen's
 * saliency-enhanced PGD, and the robustness evaluation's own (APGD, Square) and threat models.
 */
export const ATTACK_WORDS: Record<AttackName | string, Words> = {
  fgsm: {
    label: 'FGSM',
    help: 'Fast Gradient Sign Method (Goodfellow et al. 2015): one step of size ε in the direction that raises the model’s loss fastest. Quick, and the weakest attack here.'
  },
  ifgsm: {
    label: 'I-FGSM',
    help: 'Iterative FGSM, also called BIM (Kurakin et al. 2017): 10 small FGSM steps, each kept within ε of the original image. Stronger on the model it is crafted on, often weaker on others.'
  },
  mifgsm: {
    label: 'MI-FGSM',
    help: 'Momentum iterative FGSM (Dong et al. 2018): I-FGSM whose steps keep a running average of past directions (momentum μ = 1). Built to transfer better to models it was not crafted on.'
  },
  pgd: {
    label: 'PGD',
    help: 'Projected Gradient Descent (Madry et al. 2018): starts at a random point within ε of the image, then takes 10 gradient-sign steps, each pulled back within ε. The standard strong attack.'
  },
  di2fgsm: {
    label: 'DI²-FGSM',
    help: 'Diverse-input iterative FGSM (Xie et al. 2019): each step is computed on a randomly resized and padded copy of the image, so the perturbation does not rely on one model’s exact view. Built to transfer.'
  },
  'saliency-pgd': {
    label: 'Saliency-enhanced PGD',
    help: 'PGD whose every step is weighted by the CAMERAS saliency map (thesis chapter 5): the perturbation concentrates on the pixels the model looks at.'
  },
  'apgd-ce': {
    label: 'APGD-CE',
    help: 'Auto-PGD with the cross-entropy loss (Croce & Hein 2020): PGD that halves its step by itself when progress stalls, 100 iterations. Part of AutoAttack.'
  },
  'apgd-dlr': {
    label: 'APGD-DLR',
    help: 'Auto-PGD with the difference-of-logits-ratio loss (Croce & Hein 2020): insensitive to how the logits are scaled, so a model cannot look robust by inflating them.'
  },
  square: {
    label: 'Square',
    help: 'Square attack (Andriushchenko et al. 2020): uses only the model’s scores, no gradients; changes one random square of the image at a time and keeps changes that help. A check against models that hide their gradients.'
  },
  transfer: {
    label: 'Transfer',
    help: 'The attack is crafted on another model (the source) and then shown to this one: an attacker who does not have this model.'
  },
  ensemble: {
    label: 'Ensemble transfer',
    help: 'Crafted on several source models at once (their mean loss), then shown to this one: a stronger transfer attack.'
  }
}

/** An attack's short name ("DI²-FGSM"); an unknown id in capitals. */
export function attackLabel(id: string): string {
  return ATTACK_WORDS[id]?.label ?? id.toUpperCase()
}

/** How each input defense is named, what its setting means, and its rows in words. */
export interface DefenseWords extends Words {
  /** One row of the table: "JPEG quality 80". */
  row(value: number): string
}

export const DEFENSE_WORDS: Record<DefenseName, DefenseWords> = {
  jpeg: {
    label: 'JPEG compression',
    help: 'The image is saved as a JPEG and read back before the model sees it; lower quality (95 → 80) throws away more fine detail, and with it much of a perturbation.',
    row: (q) => `JPEG quality ${q}`
  },
  tvm: {
    label: 'Total-variation smoothing',
    help: 'The image is smoothed while its edges are kept (Chambolle’s total-variation denoising); a larger weight (3 → 9) smooths more.',
    row: (w) => `Total-variation smoothing, weight ${w}`
  },
  bitDepth: {
    label: 'Bit-depth reduction',
    help: 'Each pixel is rounded to fewer levels: bit depth 1 leaves 2 levels per channel, 4 leaves 16. Small perturbations are rounded away, and so is detail.',
    row: (d) => `Bit depth ${d}`
  },
  bilateral: {
    label: 'Bilateral filter',
    help: 'Each pixel becomes an average of its neighbours that look alike, which blurs noise but keeps edges; a larger window (3 → 9) blurs more.',
    row: (w) => `Bilateral filter, window ${w}`
  }
}

/**
 * A defense-table row in words from its key: "jpeg:80" → "JPEG quality 80", "none" → "No
 * defense", "orthogonal" → "Orthogonal model (no defense)". `fallback` (the stored label) for
 * a key it does not know.
 */
export function defenseRowLabel(key: string, fallback = key): string {
  if (key === 'none') return 'No defense'
  if (key === 'orthogonal') return 'Orthogonal model (no defense)'
  const m = /^([A-Za-z]+):([\d.]+)$/.exec(key)
  const words = m ? DEFENSE_WORDS[m[1] as DefenseName] : undefined
  return words ? words.row(Number(m![2])) : fallback
}

/**
 * A defense-table column in words from its key: "clean" → "Clean images", "pgd@0.03" →
 * "PGD, ε = 3 %", "adaptive:pgd@0.03" → "Adaptive PGD, ε = 3 %".
 */
export function defenseColumnLabel(key: string, fallback = key): string {
  if (key === 'clean') return 'Clean images'
  const m = /^(adaptive:)?([a-z0-9-]+)@([\d.e-]+)$/.exec(key)
  if (!m) return fallback
  return `${m[1] ? 'Adaptive ' : ''}${attackLabel(m[2]!)}, ε = ${epsilonPercent(Number(m[3]))}`
}

/** A defense-table column as a CSV header with its unit: "pgd@0.03" → "pgd_eps3pct_fooling_pct". */
export function defenseColumnCsv(key: string): string {
  if (key === 'clean') return 'clean_error_pct'
  const m = /^(adaptive:)?([a-z0-9-]+)@([\d.e-]+)$/.exec(key)
  if (!m) return key
  const eps = trimmed(Number(m[3]) * 100, 2).replace('.', '_')
  return `${m[1] ? 'adaptive_' : ''}${m[2]!.replace(/-/g, '_')}_eps${eps}pct_fooling_pct`
}

export const PENALTY_WORDS: Record<PenaltyForm, Words> = {
  squared: {
    label: 'squared (mean δ²)',
    help: 'Penalises the square of each image’s δ: pushes gradients towards orthogonal (δ = 0) from either side, gently near 0. The recommended form: it keeps accuracy best.'
  },
  absolute: {
    label: 'absolute (mean |δ|)',
    help: 'Penalises the size of each image’s δ: pushes towards orthogonal from either side, as hard near 0 as far from it. Stronger orthogonality, usually some accuracy lost.'
  },
  signed: {
    label: 'signed (thesis Eq. 6.3)',
    help: 'The thesis’ literal penalty, the mean signed δ. A model can lower it by pointing its gradients the opposite way or by collapsing (its accuracy drops to chance); kept for replication.'
  }
}

export const ARCHITECTURE_WORDS: Record<ArchitectureName, Words> = {
  cnn: {
    label: 'Small CNN',
    help: 'Four convolution layers: trains in minutes on a laptop. Good for a first audit.'
  },
  vgg11: {
    label: 'VGG-11',
    help: 'A CIFAR-style VGG network with 11 layers (Simonyan & Zisserman 2015).'
  },
  vgg16: {
    label: 'VGG-16',
    help: 'A CIFAR-style VGG network with 16 layers: slower, more capacity.'
  },
  resnet20: {
    label: 'ResNet-20',
    help: 'A CIFAR residual network with 20 layers (He et al. 2016).'
  },
  resnet32: {
    label: 'ResNet-32',
    help: 'A CIFAR residual network with 32 layers (He et al. 2016).'
  }
}

/** An architecture in words ("Small CNN"); an imported model's own name as it is. */
export function architectureLabel(id: string): string {
  return ARCHITECTURE_WORDS[id as ArchitectureName]?.label ?? id
}

/** The terms the screens use, each with its "?" help. */
export const TERM_HELP = {
  epsilon: {
    label: 'ε (attack budget)',
    help: 'How much an attack may change each pixel, in % of the pixel range (black to white). ε = 3 % lets a pixel move by about 8 of 255 grey levels: usually invisible.'
  },
  delta: {
    label: 'δ (gradient similarity)',
    help: 'The cosine similarity of two models’ input gradients on an image, averaged over images. Near 1: the same pixel changes fool both, so attacks carry over. Near 0: orthogonal, what orthogonal training aims for.'
  },
  lambda: {
    label: 'λ (orthogonality strength)',
    help: 'How strongly training pushes the new model’s gradients away from the reference’s. 0 is ordinary training; the thesis uses 5, 30 (default) and 100. Larger values cost accuracy.'
  },
  penalty: {
    label: 'Penalty form',
    help: 'How δ is turned into the training penalty: squared (recommended), absolute, or the thesis’ literal signed form.'
  },
  accuracy: {
    label: 'Accuracy',
    help: 'The share of validation images (never trained on) the model labels correctly, in %.'
  },
  foolingRatio: {
    label: 'Fooling ratio',
    help: 'The share of images whose prediction the attack changed, in %. Every image was classified correctly by every model before the attack, so lower is more robust.'
  },
  cleanError: {
    label: 'Clean images',
    help: 'The share of unattacked images a defense itself makes the model get wrong, in %: what the defense costs.'
  },
  best: {
    label: '★ best',
    help: 'Marks the lowest value of a column only when it is clearly lower than every other row: its 95 % interval over the images does not overlap the runner-up’s. With few images, small differences are noise and get no star.'
  },
  survives8bit: {
    label: 'Survives 8-bit',
    help: 'Whether the adversarial image still fools the model after its pixels are rounded to 8 bits, as they are when the image is saved as a PNG. “No” means the attack only works on unrounded numbers.'
  },
  perturbation: {
    label: 'Perturbation (amplified)',
    help: 'The difference between the adversarial and the original image, stretched so the largest change is full black or white; mid-grey means unchanged.'
  },
  source: {
    label: 'Source model',
    help: 'The model the attack is crafted on (the attacker has it). The other models are shown the same adversarial images.'
  },
  orthogonal: {
    label: 'Orthogonal model',
    help: 'A model trained to be accurate while its input gradients are orthogonal to a reference model’s (thesis chapter 6), so attacks crafted on the reference transfer poorly to it.'
  },
  saliency: {
    label: 'Saliency map',
    help: 'Which pixels the prediction rests on most: red is most, blue least. Grad-CAM reads one layer; CAMERAS combines several resolutions for sharper maps.'
  },
  adaptivePool: {
    label: 'Adaptive-pool variant',
    help: 'CAMERAS enlarges the image to see it at several resolutions. A model ending in a fixed-size layer cannot take larger images, so an average-pooling layer is put before that layer; the maps stay comparable, the model’s weights are unchanged.'
  },
  sanity: {
    label: 'Sanity score',
    help: 'Pixels are removed most-salient first while the model’s confidence is tracked: 0 means the map finds the important pixels as well as the ideal order, 1 as badly as the worst.'
  }
} as const satisfies Record<string, Words>

export type Term = keyof typeof TERM_HELP
