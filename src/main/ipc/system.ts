/** System: app and backend info, file picking, and the job list (cancel). */
import { ContractError } from '../../contract/errors'
import { backendInfo } from '../engine/backend'
import { nativeKernelStatus } from '../engine/kernels/nativeKernels'
import { APP_VERSION } from '../store/app-version'
import { requireJobs } from './context'
import { documentsDirOf, listFolder, resolveTypedPath } from './folders'
import type { Handlers } from './types'

export const systemHandlers: Handlers<
  'system.info' | 'system.pickPath' | 'system.listFolder' | 'jobs.list' | 'jobs.cancel'
> = {
  'system.info': async (_args, ctx) => {
    // The main side picks the backend with the same rule the job worker uses (same env,
    // same packages), so the header names the backend the jobs really run on.
    const info = await backendInfo()
    const native =
      info.name === 'tensorflow'
        ? { active: false, reason: 'native TensorFlow has its own kernels' }
        : nativeKernelStatus()
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
    // A typed path is read here, on the main side: "~" is home, a bare name for a project or
    // an export lands in the documents folder (not wherever the server was started).
    const typed =
      typedPath !== undefined && typedPath.trim() !== ''
        ? resolveTypedPath(purpose, typedPath, documentsDirOf(ctx))
        : undefined
    const paths = await ctx.host.pickPath(purpose, typed, defaultName)
    if (paths && paths.length > 0) ctx.session.allow(paths)
    return paths && paths.length > 0 ? paths : null
  },

  'system.listFolder': ({ path }, ctx) => listFolder(ctx, path),

  'jobs.list': (_args, ctx) => ctx.session.jobs?.list() ?? [],

  'jobs.cancel': ({ jobId }, ctx) => {
    const ok = requireJobs(ctx).cancel(jobId)
    if (!ok) throw new ContractError('not-found', 'That job has already ended')
    return true
  }
}
