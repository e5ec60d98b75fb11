/**
 * Learning-rate schedules, stepped once per epoch as PyTorch's are in the usual loop
 * (`scheduler.step()` after each epoch): epoch k (1-based) trains at the rate PyTorch holds
 * when `last_epoch = k − 1`. Both follow torch.optim.lr_scheduler (PyTorch 1.13) step for
 * step, in float64 like Python's floats, including their recursive forms:
 *
 * - `step` = MultiStepLR: at each milestone epoch the current rate is multiplied by γ
 *   (He et al. 2016, https://arxiv.org/abs/1512.03385: 0.1, ÷10 at epochs 82 and 123 of 164).
 * - `cosine` = CosineAnnealingLR with T_max = the epoch cap (Loshchilov & Hutter 2017, SGDR,
 *   https://arxiv.org/abs/1608.03983, without restarts):
 *     η_e = (1 + cos(π e / T)) / (1 + cos(π (e − 1) / T)) · (η_{e−1} − η_min) + η_min,
 *   which PyTorch uses rather than the closed form η_min + (η_0 − η_min)(1 + cos(π e / T)) / 2
 *   (equal up to rounding).
 */
import type { LrScheduleName } from '../../../contract/names'

export interface ScheduleSettings {
  schedule: LrScheduleName
  learningRate: number
  /** Step schedule: epochs (counted from 0 as `last_epoch`) where the rate drops. */
  milestones: number[]
  gamma: number
  /** Cosine schedule: the floor. */
  minLearningRate: number
}

/** Python's `%`: the remainder takes the divisor's sign. */
function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b
}

/**
 * The rate of every epoch 1 … `epochs` (index 0 = epoch 1). `tMax` is the cosine period
 * (default: `epochs`).
 */
export function learningRates(settings: ScheduleSettings, epochs: number, tMax = epochs): number[] {
  const base = settings.learningRate
  const rates: number[] = []
  let lr = base
  for (let lastEpoch = 0; lastEpoch < epochs; lastEpoch++) {
    if (lastEpoch > 0) lr = nextRate(settings, lr, lastEpoch, tMax)
    rates.push(lr)
  }
  return rates
}

/** PyTorch's `get_lr()` for `last_epoch` ≥ 1, from the previous rate. */
function nextRate(s: ScheduleSettings, lr: number, lastEpoch: number, tMax: number): number {
  switch (s.schedule) {
    case 'constant':
      return lr
    case 'step': {
      // MultiStepLR keeps a Counter of milestones: a repeated one multiplies by γ that often.
      const hits = s.milestones.filter((m) => m === lastEpoch).length
      return hits === 0 ? lr : lr * s.gamma ** hits
    }
    case 'cosine': {
      const etaMin = s.minLearningRate
      if (pyMod(lastEpoch - 1 - tMax, 2 * tMax) === 0)
        return lr + ((s.learningRate - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2
      return (
        ((1 + Math.cos((Math.PI * lastEpoch) / tMax)) /
          (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax))) *
          (lr - etaMin) +
        etaMin
      )
    }
    default:
      throw new RangeError(`Unknown learning-rate schedule "${String(s.schedule)}"`)
  }
}
