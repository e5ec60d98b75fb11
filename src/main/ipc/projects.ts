/** Projects: new, open, save-as, close, recent (SPEC §2.1). */
import { basename } from 'node:path'
import { existsSync } from 'node:fs'
import { ContractError } from '../../contract/errors'
import {
  addRecentProject,
  createProject,
  defaultProjectName,
  listRecentProjects,
  openProject,
  saveProjectAs
} from '../store'
import { projectInfo, requireProject, type HandlerContext } from './context'
import type { Handlers } from './types'

const EXTENSION = '.ortholens'

function withExtension(path: string): string {
  return path.endsWith(EXTENSION) ? path : path + EXTENSION
}

function remember(ctx: HandlerContext, path: string): void {
  addRecentProject(ctx.host.settingsDir, { path, name: defaultProjectName(path) })
}

export const projectHandlers: Handlers<
  | 'projects.current'
  | 'projects.create'
  | 'projects.open'
  | 'projects.saveAs'
  | 'projects.close'
  | 'projects.recent'
> = {
  'projects.current': (_args, ctx) => {
    const p = ctx.session.project
    return p && !p.closed ? projectInfo(p) : null
  },

  'projects.create': async ({ path }, ctx) => {
    const target = withExtension(ctx.session.requirePicked(path))
    const project = createProject(target, { name: defaultProjectName(target) })
    await ctx.session.attach(project)
    remember(ctx, target)
    return projectInfo(project)
  },

  'projects.open': async ({ path }, ctx) => {
    const target = ctx.session.requirePicked(path)
    const project = openProject(target)
    await ctx.session.attach(project)
    remember(ctx, target)
    if (project.interruptedRunIds.length > 0) {
      ctx.host.emit('log', {
        level: 'warn',
        message: `${project.interruptedRunIds.length} run(s) were interrupted when the app last stopped; their saved results are kept`,
        at: new Date().toISOString()
      })
    }
    return projectInfo(project)
  },

  'projects.saveAs': async ({ path }, ctx) => {
    const current = requireProject(ctx)
    const target = withExtension(ctx.session.requirePicked(path))
    if (ctx.session.jobs?.list().some((j) => j.status === 'running' || j.status === 'queued')) {
      throw new ContractError(
        'busy',
        'Wait for the running jobs to finish (or cancel them) before saving a copy'
      )
    }
    saveProjectAs(current.db, target, { overwrite: existsSync(target) && ctx.host.nativeDialogs })
    // Save-as continues in the copy, as every desktop app does.
    const project = openProject(target)
    await ctx.session.attach(project)
    remember(ctx, target)
    return projectInfo(project)
  },

  'projects.close': async (_args, ctx) => {
    await ctx.session.detach()
    return null
  },

  'projects.recent': (_args, ctx) => {
    const recent = listRecentProjects(ctx.host.settingsDir)
    // Reopening a recent project is the user's choice of that file.
    ctx.session.allow(recent.map((r) => r.path))
    return recent.map((r) => ({
      ...r,
      name: r.name || basename(r.path),
      exists: existsSync(r.path)
    }))
  }
}
