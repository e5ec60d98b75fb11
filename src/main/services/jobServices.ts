/**
 * The service entry point of every job kind, and what its job answers. The job worker
 * (jobs/runners.ts) and the command line (cli/) both run jobs through this table, so a model
 * trained from the window and one trained from the command line run the same code on the same
 * request; a re-run (runs.ts replayOf) comes through here too.
 *
 * Adding a kind: declare its request in contract/requests.ts and its channel in
 * contract/jobs.ts, write the service (request in, stored run with `{ request, resolved }`),
 * and add its line here; the compiler then asks for it everywhere else.
 */
import type { JobArgs, JobKind, JobOf, JobResults } from '../../contract/jobs'
import type { ProjectDb } from '../store'
import { attackPreview, previewItemView } from './audits/preview'
import { runDefenseTable } from './audits/defenseTable'
import { runAttackSweep } from './audits/sweep'
import { importDataset } from './datasets'
import { runEvaluation } from './evaluation/run'
import { explainAdversarialSample } from './explain/adversarial'
import { saliencyPgdStudy } from './explain/saliencyPgd'
import { explainSamples } from './explain/samples'
import { sanityStudy } from './explain/sanity'
import type { JobHooks } from './hooks'
import { exportModelFiles } from './modelFiles'
import { inspectModelFile } from './modelFileInfo'
import { importModel } from './modelImport'
import { similarityReport, trainModel } from './models'

/** A job kind's service: its request in, its job result out. */
export type JobService<K extends JobKind> = (
  project: ProjectDb,
  request: JobArgs<K>,
  hooks: JobHooks
) => Promise<JobResults[K]>

export const JOB_SERVICES: { [K in JobKind]: JobService<K> } = {
  'import-dataset': async (project, request, hooks) => {
    const r = await importDataset(project, request, hooks)
    return { datasetId: r.datasetId, runId: r.runId, name: r.summary.name, warnings: r.warnings }
  },
  train: async (project, request, hooks) => {
    const r = await trainModel(project, request, hooks)
    return {
      modelId: r.modelId,
      runId: r.runId,
      name: r.name,
      warnings: r.warnings,
      status: r.status,
      valAccuracy: r.valAccuracy,
      ...(r.message ? { message: r.message } : {})
    }
  },
  similarity: (project, request) => similarityReport(project, request),
  'attack-sweep': async (project, request, hooks) => {
    const r = await runAttackSweep(project, request, hooks)
    return { runId: r.runId, sampleCount: r.sampleCount }
  },
  // The ε slider: one image, one attack call; runs on the interactive lane, stores nothing.
  'attack-preview': async (project, request) =>
    previewItemView(await attackPreview(project, request)),
  'defense-table': async (project, request, hooks) => {
    const r = await runDefenseTable(project, request, hooks)
    return { runId: r.runId, sampleCount: r.sampleCount }
  },
  // Explanations: the job computes and stores the run; the window reads it back by run id.
  explain: async (project, request, hooks) => ({
    runId: (await explainSamples(project, request, hooks)).runId
  }),
  'explain-adversarial': async (project, request, hooks) => ({
    runId: (await explainAdversarialSample(project, request, hooks)).runId
  }),
  sanity: async (project, request, hooks) => ({
    runId: (await sanityStudy(project, request, hooks)).runId
  }),
  'saliency-pgd': async (project, request, hooks) => ({
    runId: (await saliencyPgdStudy(project, request, hooks)).runId
  }),
  'model-import': async (project, request, hooks) => {
    const r = await importModel(project, request, hooks)
    return { modelId: r.modelId, runId: r.runId, warnings: r.warnings, evaluation: r.evaluation }
  },
  'model-export': async (project, request) => {
    const r = await exportModelFiles(project, request)
    return { runId: r.runId, files: r.files }
  },
  // Reads a model file for the import form; runs on the interactive lane, stores nothing.
  'model-inspect': (project, request) => inspectModelFile(project, request.path),
  'robustness-evaluation': async (project, request, hooks) => {
    const r = await runEvaluation(project, request, hooks)
    return { runId: r.runId, samples: r.evaluation.samples }
  }
}

/** Runs a job in this process (the worker, the command line): its kind's service on its request. */
export function runJob<K extends JobKind>(
  job: JobOf<K>,
  project: ProjectDb,
  hooks: JobHooks = {}
): Promise<JobResults[K]> {
  const service: JobService<K> = JOB_SERVICES[job.kind]
  return service(project, job.args, hooks)
}
