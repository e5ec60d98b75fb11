/** System: app and backend info, file picking, and the job list (cancel). */
import { ContractError } from '../../contract/errors'
import { backendInfo } from '../engine/backend'
import { nativeKernelStatus } from '../engine/kernels/nativeKernels'
import { APP_VERSION } from '../store/app-version'
import { requireJobs } from './context'
import type { Handlers } from './types'

export const systemHandlers: Handlers<'system.info' | 'system.pickPath' | 'jobs.list' | 'jobs.cancel'> = {
  'system.info': async (_args, ctx) => {
    // The main side picks the backend with the same rule the job worker uses (same env,
    // same packages), so the header names the backend the jobs really run on.
    const info = await backendInfo()
    const native = info.name === 'tensorflow' ? { active: false, reason: 'native TensorFlow has its own kernels' } : nativeKernelStatus()
    return {
      appVersion: APP_VERSION,
      backend: info.name,
      backendDetail: info.detail,
      threads: info.threads,
      nativeKernels: native.active ? (native.isa ?? null) : null,
      ...(native.reason ? { nativeKernelsReason: native.reason } : {}),
      platform: `${process.platform}-${process.arch}`,
      nativeDialogs: ctx.host.nativeDialogs
    }
  },

  'system.pickPath': async ({ purpose, typedPath, defaultName }, ctx) => {
    const paths = await ctx.host.pickPath(purpose, typedPath, defaultName)
    if (paths && paths.length > 0) ctx.session.allow(paths)
    return paths && paths.length > 0 ? paths : null
  },

  'jobs.list': (_args, ctx) => ctx.session.jobs?.list() ?? [],

  'jobs.cancel': ({ jobId }, ctx) => {
    const ok = requireJobs(ctx).cancel(jobId)
    if (!ok) throw new ContractError('not-found', 'That job has already ended')
    return true
  }
}
