/**
 * SPEC §3 "the renderer can reach only files the user picked", through every indirection
 * (issue 19): real symlinks inside a picked folder that lead out, `..` after a link (which
 * the OS resolves from the link's target, not by text), trailing slashes, a sibling whose
 * name extends the picked one, letter case, paths that do not exist yet, and a picked folder
 * reached through a link. The handlers then open the real path that was checked.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ContractErrorData } from '../../../src/contract/errors'
import { Session, type HandlerContext, type Host } from '../../../src/main/ipc/context'
import { isSameOrInside, realPathOf } from '../../../src/main/ipc/pickedPaths'
import { dispatch } from '../../../src/main/ipc/registry'

const root = realpathSync(mkdtempSync(join(tmpdir(), 'ortholens-picked-')))
const picked = join(root, 'Picked')
const outside = join(root, 'outside')
const host: Host = {
  emit: () => undefined,
  pickPath: async (_purpose, typed) => (typed ? [typed] : null),
  nativeDialogs: false,
  settingsDir: join(root, 'settings')
}

beforeAll(() => {
  mkdirSync(join(picked, 'cat'), { recursive: true })
  mkdirSync(join(outside, 'secret'), { recursive: true })
  writeFileSync(join(picked, 'cat', 'a.png'), 'png')
  writeFileSync(join(outside, 'passwd'), 'root:x:0:0')
  writeFileSync(join(outside, 'secret', 'model.json'), '{}')
  mkdirSync(join(root, 'PickedToo'))
  writeFileSync(join(root, 'PickedToo', 'x.png'), 'png')
  // Links inside the picked folder: out to a folder, out to a file, and one that stays in.
  symlinkSync(outside, join(picked, 'out'))
  symlinkSync(join(outside, 'passwd'), join(picked, 'notes.txt'))
  symlinkSync(join(picked, 'cat'), join(picked, 'kitten'))
  // A link elsewhere to the picked folder.
  symlinkSync(picked, join(root, 'shortcut'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function session(...paths: string[]): Session {
  const s = new Session(host)
  s.allow(paths)
  return s
}

function refusal(s: Session, path: string): string {
  try {
    s.requirePicked(path)
  } catch (err) {
    expect(err).toMatchObject({ code: 'forbidden-path', where: path })
    return (err as Error).message
  }
  throw new Error(`${path} was allowed`)
}

describe('the picked-path rule on real paths', () => {
  it('refuses a link inside the picked folder that leads out of it', () => {
    const s = session(picked)
    expect(refusal(s, join(picked, 'out', 'passwd'))).toBe(
      `Choose ${join(picked, 'out', 'passwd')} with the file picker first (it leads to ${join(outside, 'passwd')})`
    )
    refusal(s, join(picked, 'out'))
    refusal(s, join(picked, 'out', 'secret', 'model.json'))
    refusal(s, join(picked, 'notes.txt'))
    // A file that does not exist yet behind a link out is outside too.
    refusal(s, join(picked, 'out', 'new.ortholens'))
  })

  it('resolves `..` after a link as the OS does, not by text', () => {
    const s = session(picked)
    // By text this is Picked/passwd; the OS reads outside/secret/.. = outside/passwd.
    refusal(s, `${picked}${sep}out${sep}secret${sep}..${sep}passwd`)
    refusal(s, `${picked}${sep}..${sep}outside${sep}passwd`)
    refusal(s, `${picked}${sep}cat${sep}..${sep}..${sep}PickedToo${sep}x.png`)
    // Names after a missing folder cannot be resolved: refused rather than guessed.
    refusal(s, `${picked}${sep}missing${sep}..${sep}..${sep}outside${sep}passwd`)
  })

  it('allows what lies inside, through links that stay in and with trailing slashes, as real paths', () => {
    const s = session(`${picked}${sep}`)
    expect(s.requirePicked(join(picked, 'cat', 'a.png'))).toBe(join(picked, 'cat', 'a.png'))
    expect(s.requirePicked(join(picked, 'kitten', 'a.png'))).toBe(join(picked, 'cat', 'a.png'))
    expect(s.requirePicked(`${picked}${sep}cat${sep}`)).toBe(join(picked, 'cat'))
    expect(s.requirePicked(picked)).toBe(picked)
    expect(s.requirePicked(`${picked}${sep}cat${sep}..${sep}cat${sep}a.png`)).toBe(
      join(picked, 'cat', 'a.png')
    )
    // Not there yet (a project to create): the folder's real path and the new name.
    expect(s.requirePicked(join(picked, 'kitten', 'new.ortholens'))).toBe(
      join(picked, 'cat', 'new.ortholens')
    )
  })

  it('does not take a sibling whose name starts like the picked folder for inside it', () => {
    const s = session(picked)
    refusal(s, join(root, 'PickedToo', 'x.png'))
    refusal(s, root)
  })

  it('a folder picked through a link allows its contents by either path', () => {
    const s = session(join(root, 'shortcut'))
    expect(s.requirePicked(join(root, 'shortcut', 'cat', 'a.png'))).toBe(
      join(picked, 'cat', 'a.png')
    )
    expect(s.requirePicked(join(picked, 'cat', 'a.png'))).toBe(join(picked, 'cat', 'a.png'))
    refusal(s, join(root, 'shortcut', 'out', 'passwd'))
  })

  it('letter case: another name on a case-sensitive file system, the same where case is ignored', () => {
    expect(isSameOrInside('/data/picked/a.png', '/data/Picked', false)).toBe(false)
    expect(isSameOrInside('/data/picked/a.png', '/data/Picked', true)).toBe(true)
    expect(isSameOrInside('/data/PickedToo/a.png', '/data/Picked', true)).toBe(false)
    expect(isSameOrInside('/data/Picked', '/data/Picked/', false)).toBe(false)
    expect(isSameOrInside('/data/Picked/a', '/data/Picked/', false)).toBe(true)
    // On this machine's file system (Linux: case-sensitive) a differently cased path is refused.
    if (process.platform === 'linux') refusal(session(picked), join(root, 'picked', 'cat', 'a.png'))
  })

  it('a relative path is resolved from the working folder, links and all', () => {
    expect(realPathOf('.')).toBe(realpathSync(process.cwd()))
    expect(realPathOf(join(picked, 'out', 'passwd'))).toBe(join(outside, 'passwd'))
    expect(realPathOf(`${sep}nonexistent-root-folder${sep}a`)).toBe(
      `${sep}nonexistent-root-folder${sep}a`
    )
  })
})

describe('through the handlers', () => {
  const ctx: HandlerContext = { host, session: new Session(host) }
  afterAll(() => ctx.session.detach())

  async function refused(channel: string, args: unknown): Promise<ContractErrorData> {
    const r = await dispatch(channel, args, ctx)
    expect(r.ok).toBe(false)
    return (r as { error: ContractErrorData }).error
  }

  it('a dataset import or a model read through a link out of the picked folder is forbidden', async () => {
    const project = join(picked, 'study.ortholens')
    await dispatch('system.pickPath', { purpose: 'project-open', typedPath: picked }, ctx)
    const created = await dispatch('projects.create', { path: project }, ctx)
    expect(created.ok).toBe(true)
    expect(
      await refused('datasets.import', {
        source: { kind: 'imageFolder', path: join(picked, 'out', 'secret') }
      })
    ).toMatchObject({
      code: 'forbidden-path',
      where: join(picked, 'out', 'secret')
    })
    expect(
      await refused('datasets.import', {
        source: { kind: 'idx', paths: [join(picked, 'cat', 'a.png'), join(picked, 'notes.txt')] }
      })
    ).toMatchObject({
      code: 'forbidden-path'
    })
    expect(
      await refused('models.inspect', { path: join(picked, 'out', 'secret', 'model.json') })
    ).toMatchObject({
      code: 'forbidden-path'
    })
    expect(
      await refused('projects.saveAs', {
        path: `${picked}${sep}out${sep}secret${sep}..${sep}copy.ortholens`
      })
    ).toMatchObject({
      code: 'forbidden-path'
    })
  })
})
