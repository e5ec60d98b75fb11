/**
 * The optimisers and schedules against hand-computed steps and against PyTorch 1.13
 * (torch.optim.SGD, MultiStepLR, CosineAnnealingLR): the torch values were printed once by
 * scripts/make-optimizer-fixtures.py and are kept here as constants.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { tf } from '../../../../src/main/engine/tf'
import {
  AdamOptimizer,
  createOptimizer,
  SgdOptimizer
} from '../../../../src/main/engine/training/optimizers'
import { learningRates } from '../../../../src/main/engine/training/schedules'

beforeAll(async () => {
  await initBackend('cpu')
})

/** Applies the given gradients (constants, not a loss) to one scalar weight; returns its path. */
function scalarPath(
  settings: { momentum: number; nesterov: boolean; weightDecay: number },
  grads: number[]
): number[] {
  const w = tf.variable(tf.tensor1d([1]), true, `w-${Math.random()}`)
  const opt = new SgdOptimizer([w], { learningRate: 0.1, ...settings })
  const path: number[] = []
  for (const g of grads) {
    const grad = tf.tensor1d([g])
    opt.applyGradients({ [w.name]: grad })
    grad.dispose()
    path.push(w.dataSync()[0]!)
  }
  opt.dispose()
  w.dispose()
  return path
}

describe('SGD (torch.optim.SGD, dampening 0)', () => {
  it('follows hand-computed steps with momentum and weight decay', () => {
    // lr 0.1, μ 0.9, wd 0.01, p0 = 1, gradients 0.5 then −0.25:
    // d1 = 0.5 + 0.01·1 = 0.51, v1 = d1 (the first gradient), p1 = 1 − 0.051 = 0.949;
    // d2 = −0.25 + 0.01·0.949 = −0.24051, v2 = 0.9·0.51 − 0.24051 = 0.21849,
    // p2 = 0.949 − 0.021849 = 0.927151.
    const [p1, p2] = scalarPath({ momentum: 0.9, nesterov: false, weightDecay: 0.01 }, [0.5, -0.25])
    expect(p1).toBeCloseTo(0.949, 6)
    expect(p2).toBeCloseTo(0.927151, 6)
  })

  it('follows hand-computed Nesterov steps (d + μ·v)', () => {
    // d1 = 0.51, v1 = 0.51, step 0.51 + 0.9·0.51 = 0.969 → p1 = 0.9031;
    // d2 = −0.25 + 0.009031 = −0.240969, v2 = 0.459 − 0.240969 = 0.218031,
    // step −0.240969 + 0.9·0.218031 = −0.0447411 → p2 = 0.90757411.
    const [p1, p2] = scalarPath({ momentum: 0.9, nesterov: true, weightDecay: 0.01 }, [0.5, -0.25])
    expect(p1).toBeCloseTo(0.9031, 6)
    expect(p2).toBeCloseTo(0.90757411, 6)
  })

  it('without momentum is p − lr·(g + wd·p)', () => {
    const [p1] = scalarPath({ momentum: 0, nesterov: false, weightDecay: 0.5 }, [2])
    expect(p1).toBeCloseTo(1 - 0.1 * (2 + 0.5), 6)
  })

  // Least squares 0.5·||A w − b||², w0 = (0.3, −0.7), lr 0.05, four steps.
  const A = [
    [1, 2],
    [0.5, -1],
    [-1.5, 0.25]
  ]
  const b = [1, -2, 0.5]
  const TORCH = {
    momentumWd: [
      [0.24922500550746918, -0.3330875039100647],
      [0.14102467894554138, 0.2738441526889801],
      [-0.0340091809630394, 0.9489462971687317],
      [-0.2764492630958557, 1.5240247249603271]
    ],
    nesterovWd: [
      [0.2035275101661682, -0.0028662458062171936],
      [0.023589834570884705, 0.6658371090888977],
      [-0.22287937998771667, 1.1601897478103638],
      [-0.49444380402565, 1.4292762279510498]
    ],
    plain: [
      [0.24937501549720764, -0.3334375023841858],
      [0.18699024617671967, -0.05681346356868744],
      [0.11996271461248398, 0.1532992571592331],
      [0.05284615606069565, 0.3139975070953369]
    ]
  }

  function lstsqPath(settings: { momentum: number; nesterov: boolean; weightDecay: number }) {
    const w = tf.variable(tf.tensor1d([0.3, -0.7]), true, `lsq-${Math.random()}`)
    const opt = createOptimizer([w], { optimizer: 'sgd', learningRate: 0.05, ...settings })
    const At = tf.tensor2d(A)
    const bt = tf.tensor1d(b)
    const path: number[][] = []
    for (let k = 0; k < 4; k++) {
      const { value, grads } = tf.variableGrads(() =>
        tf.mul(0.5, tf.sum(tf.square(tf.sub(tf.squeeze(tf.matMul(At, tf.reshape(w, [2, 1]))), bt))))
      )
      opt.applyGradients(grads)
      tf.dispose([value, ...Object.values(grads)])
      path.push(Array.from(w.dataSync()))
    }
    tf.dispose([At, bt, w])
    opt.dispose()
    return path
  }

  it('matches PyTorch step for step on a least-squares problem', () => {
    const cases = [
      [lstsqPath({ momentum: 0.9, nesterov: false, weightDecay: 0.01 }), TORCH.momentumWd],
      [lstsqPath({ momentum: 0.9, nesterov: true, weightDecay: 0.01 }), TORCH.nesterovWd],
      [lstsqPath({ momentum: 0, nesterov: false, weightDecay: 0 }), TORCH.plain]
    ] as const
    for (const [ours, torch] of cases) {
      ours.forEach((w, k) =>
        w.forEach((v, i) => expect(Math.abs(v - torch[k]![i]!)).toBeLessThan(2e-6))
      )
    }
    // Not a near miss: Nesterov's path parts from the plain momentum one at the first step.
    expect(Math.abs(TORCH.nesterovWd[0]![1]! - TORCH.momentumWd[0]![1]!)).toBeGreaterThan(0.3)
  })

  it('refuses Nesterov without momentum', () => {
    expect(
      () => new SgdOptimizer([], { learningRate: 0.1, momentum: 0, nesterov: true, weightDecay: 0 })
    ).toThrow(/Nesterov/)
  })

  it('keeps the live tensor count flat across steps (one momentum buffer per weight)', () => {
    const w = tf.variable(
      tf.randomNormal([4, 3], 0, 1, 'float32', 3),
      true,
      `flat-${Math.random()}`
    )
    const opt = new SgdOptimizer([w], {
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4
    })
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(w)))
      opt.applyGradients(grads)
      tf.dispose([value, ...Object.values(grads)])
    }
    step()
    const before = tf.memory().numTensors
    for (let k = 0; k < 10; k++) step()
    expect(tf.memory().numTensors).toBe(before)
    opt.dispose()
    w.dispose()
  })
})

describe('Adam with a settable rate', () => {
  it('reads the rate at each update (a schedule can change it)', () => {
    const w = tf.variable(tf.tensor1d([1]), true, `adam-${Math.random()}`)
    const opt = new AdamOptimizer([w], 0.1)
    const g = tf.tensor1d([3])
    opt.applyGradients({ [w.name]: g })
    // Adam's first step is lr · m̂/(√v̂ + ε) = lr · sign(g) up to ε.
    expect(w.dataSync()[0]).toBeCloseTo(1 - 0.1, 5)
    opt.learningRate = 0.01
    opt.applyGradients({ [w.name]: g })
    expect(w.dataSync()[0]).toBeCloseTo(0.9 - 0.01, 5)
    tf.dispose([g, w])
    opt.dispose()
  })
})

describe('learning-rate schedules (per epoch, as torch.optim.lr_scheduler)', () => {
  const base = { learningRate: 0.1, milestones: [], gamma: 0.1, minLearningRate: 0 }

  it('constant keeps the rate', () => {
    expect(learningRates({ ...base, schedule: 'constant' }, 3)).toEqual([0.1, 0.1, 0.1])
  })

  it('step = MultiStepLR, value for value (its recursive products included)', () => {
    const torch = [
      0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002,
      0.0010000000000000002, 0.0010000000000000002
    ]
    expect(learningRates({ ...base, schedule: 'step', milestones: [2, 5] }, 7)).toEqual(torch)
  })

  it('cosine = CosineAnnealingLR over the epochs, with η_min', () => {
    const torch = [
      0.1, 0.0905463412215599, 0.06579634122155989, 0.035203658778440096, 0.010453658778440105
    ]
    const ours = learningRates({ ...base, schedule: 'cosine', minLearningRate: 0.001 }, 5)
    ours.forEach((v, i) => expect(Math.abs(v - torch[i]!)).toBeLessThan(1e-15))
    // Hand check of the closed form at e = 2 of T = 5: 0.001 + 0.099·(1 + cos(2π/5))/2.
    expect(ours[2]).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos((2 * Math.PI) / 5))) / 2, 14)
  })

  it('cosine past T_max rises again as PyTorch does', () => {
    const torch = [
      0.1, 0.07500000000000001, 0.025000000000000015, 0.0, 0.024999999999999994,
      0.07500000000000005, 0.10000000000000006, 0.07500000000000007, 0.025000000000000053
    ]
    const ours = learningRates({ ...base, schedule: 'cosine' }, 9, 3)
    ours.forEach((v, i) => expect(Math.abs(v - torch[i]!)).toBeLessThan(1e-15))
  })

  it('He et al. 2016: 0.1, ÷10 after epochs 82 and 123 of 164', () => {
    const rates = learningRates({ ...base, schedule: 'step', milestones: [82, 123] }, 164)
    expect(rates[81]).toBe(0.1)
    expect(rates[82]).toBeCloseTo(0.01, 15)
    expect(rates[122]).toBeCloseTo(0.01, 15)
    expect(rates[123]).toBeCloseTo(0.001, 15)
    expect(rates[163]).toBeCloseTo(0.001, 15)
  })
})
