/**
 * `npm run bench:onnx`: importing an ONNX model and predicting with it, against PyTorch.
 * Default model: torchvision's resnet18 at full width (10 classes, 32x32 inputs), exported by
 * bench/onnx_torch_reference.py into a temporary folder (needs /usr/bin/python3 with torch and
 * torchvision); BENCH_ONNX_MODEL=path.onnx times another file (import only, no reference).
 *
 * Measured: the import (parse, build, probe; the minimum of BENCH_ONNX_IMPORTS runs) and the
 * prediction of BENCH_ONNX_IMAGES 32x32 images in batches of BENCH_ONNX_BATCH on one thread
 * (ORTHOLENS_THREADS=1, torch.set_num_threads(1)). The machines are shared and noisy
 * (SPEC §1): project and PyTorch runs alternate over BENCH_ROUNDS rounds and each side's
 * figure is its minimum; the ratio is the result. CPU time (the process's user + system time)
 * is reported beside wall time: on a loaded machine it moves far less, as waiting for a core
 * does not count. The last line is one JSON object.
 * BENCH_BACKENDS picks backends (default "wasm"; each runs in its own process).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const env = (k: string, d: string): string => process.env[k] ?? d
const IMAGES = Number(env('BENCH_ONNX_IMAGES', '1000'))
const BATCH = Number(env('BENCH_ONNX_BATCH', '100'))
const ROUNDS = Number(env('BENCH_ROUNDS', '3'))
const IMPORTS = Number(env('BENCH_ONNX_IMPORTS', '3'))
const PYTHON = '/usr/bin/python3'
const REFERENCE = fileURLToPath(new URL('./onnx_torch_reference.py', import.meta.url))

interface ChildResult {
  backend: string
  importMs: number
  predictMs: number[]
  predictCpuMs: number[]
  parameters: number
}

interface Timing {
  wall: number
  cpu: number
}

/** One backend, in a child process (the wasm backend fixes its threads once per process). */
async function child(backend: string, model: string): Promise<void> {
  process.env.ORTHOLENS_THREADS = '1'
  const { initBackend } = await import('../src/main/engine/backend')
  const { importOnnxModel, onnxModelFromStored } = await import('../src/main/engine/models/onnx')
  const { tf } = await import('../src/main/engine/tf')
  await initBackend(backend as 'wasm')
  let importMs = Infinity
  let imported: ReturnType<typeof importOnnxModel> | undefined
  for (let i = 0; i < IMPORTS; i++) {
    const t0 = performance.now()
    imported = importOnnxModel(model, {
      preprocessing: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
    })
    importMs = Math.min(importMs, performance.now() - t0)
  }
  const m = onnxModelFromStored(imported!.architecture, imported!.weights, {
    id: 'bench',
    name: 'bench'
  })
  const [h, w, c] = m.inputShape
  const x = tf.randomUniform(
    [IMAGES, h, w, c],
    0,
    1,
    'float32',
    1
  ) as import('../src/main/engine/tf').Tensor4D
  const predict = (): Timing => {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    for (let s = 0; s < IMAGES; s += BATCH) {
      const logits = tf.tidy(() => m.predictLogits(x.slice(s, Math.min(BATCH, IMAGES - s))))
      logits.dataSync()
      logits.dispose()
    }
    const c = process.cpuUsage(c0)
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 }
  }
  tf.tidy(() => m.predictLogits(x.slice(0, BATCH)).dataSync()) // warm-up, as the reference
  // The parent alternates with PyTorch: one timed pass per line read on stdin.
  const predictMs: number[] = []
  const predictCpuMs: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const t = predict()
    predictMs.push(t.wall)
    predictCpuMs.push(t.cpu)
    process.stdout.write(`${JSON.stringify({ round: r, ms: t.wall })}\n`)
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()))
  }
  const result: ChildResult = {
    backend: tf.getBackend(),
    importMs,
    predictMs,
    predictCpuMs,
    parameters: m.parameterCount()
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
  process.exit(0)
}

function torchPredictMs(dir: string): Timing | undefined {
  try {
    const out = execFileSync(
      PYTHON,
      [
        REFERENCE,
        '--time',
        dir,
        '--images',
        String(IMAGES),
        '--batch',
        String(BATCH),
        '--threads',
        '1'
      ],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore']
      }
    )
    const j = JSON.parse(out.trim().split('\n').pop()!) as {
      predict_ms: number
      predict_cpu_ms: number
    }
    return { wall: j.predict_ms, cpu: j.predict_cpu_ms }
  } catch {
    return undefined
  }
}

/** Runs one backend's child, feeding it a line after each PyTorch run so the two alternate. */
async function measure(
  backend: string,
  model: string,
  torchDir: string | undefined
): Promise<{ child: ChildResult; torch: Timing[] }> {
  const { spawn } = await import('node:child_process')
  const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_ONNX_CHILD: backend, BENCH_ONNX_MODEL_PATH: model },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const torch: Timing[] = []
  let result: ChildResult | undefined
  let buffer = ''
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as ChildResult
        else if (line.startsWith('{"round"')) {
          if (torchDir) {
            const ms = torchPredictMs(torchDir)
            if (ms !== undefined) torch.push(ms)
          }
          proc.stdin.write('next\n')
        }
      }
    })
    proc.on('exit', (code) =>
      code === 0 && result ? resolve() : reject(new Error(`${backend} child exited with ${code}`))
    )
  })
  return { child: result!, torch }
}

async function main(): Promise<void> {
  const given = process.env.BENCH_ONNX_MODEL
  let dir: string | undefined
  let model = given
  let torchDir: string | undefined
  if (!model) {
    dir = mkdtempSync(join(tmpdir(), 'ortholens-bench-onnx-'))
    const r = spawnSync(PYTHON, [REFERENCE, '--export', dir], {
      stdio: ['ignore', 'ignore', 'ignore']
    })
    if (r.status !== 0 || !existsSync(join(dir, 'resnet18.onnx'))) {
      console.log('PyTorch with torchvision is needed to export resnet18 (or set BENCH_ONNX_MODEL)')
      rmSync(dir, { recursive: true, force: true })
      return
    }
    model = join(dir, 'resnet18.onnx')
    torchDir = dir
  }
  const load = (() => {
    try {
      return execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' })
        .split(' ')
        .slice(0, 3)
        .join(' ')
    } catch {
      return 'unknown'
    }
  })()
  const rows: Record<string, unknown>[] = []
  try {
    for (const backend of env('BENCH_BACKENDS', 'wasm').split(',').filter(Boolean)) {
      const { child, torch } = await measure(backend, model, torchDir)
      const ours = Math.min(...child.predictMs)
      const oursCpu = Math.min(...child.predictCpuMs)
      const ref = torch.length > 0 ? Math.min(...torch.map((t) => t.wall)) : undefined
      const refCpu = torch.length > 0 ? Math.min(...torch.map((t) => t.cpu)) : undefined
      const ratio = (a: number, b: number | undefined): number | null =>
        b ? Math.round((a / b) * 100) / 100 : null
      rows.push({
        backend: child.backend,
        importMs: Math.round(child.importMs),
        predictMs: Math.round(ours),
        torchPredictMs: ref && Math.round(ref),
        ratio: ratio(ours, ref),
        predictCpuMs: Math.round(oursCpu),
        torchPredictCpuMs: refCpu && Math.round(refCpu),
        cpuRatio: ratio(oursCpu, refCpu),
        parameters: child.parameters
      })
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
  console.log(
    `onnx ${given ?? 'resnet18 (torchvision, 10 classes)'}: predict ${IMAGES} images in batches of ${BATCH}, one thread, min of ${ROUNDS} alternating rounds; load average ${load}`
  )
  console.log(
    'backend     import ms   predict ms   PyTorch ms   ratio   CPU ms   PyTorch CPU ms   CPU ratio'
  )
  for (const r of rows) {
    const cells = [
      r.importMs,
      r.predictMs,
      r.torchPredictMs,
      r.ratio,
      r.predictCpuMs,
      r.torchPredictCpuMs,
      r.cpuRatio
    ].map((v) => String(v ?? '-'))
    const widths = [9, 13, 13, 8, 9, 17, 12]
    console.log(
      `${String(r.backend).padEnd(12)}${cells.map((c, i) => c.padStart(widths[i]!)).join('')}`
    )
  }
  console.log(JSON.stringify({ bench: 'onnx', images: IMAGES, batch: BATCH, load, rows }))
}

if (process.env.BENCH_ONNX_CHILD) {
  await child(process.env.BENCH_ONNX_CHILD, process.env.BENCH_ONNX_MODEL_PATH!)
} else {
  await main()
}
