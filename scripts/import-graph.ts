/**
 * The import graph of src/ and its cycles (house rule: no cycle). Every import counts, type-only
 * ones included (a cycle of types still ties two modules' meanings together) and dynamic
 * `import()` too. Run `npx tsx scripts/import-graph.ts` to print the cycles;
 * test/houseRules/importGraph.test.ts holds the tree to it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

export type ImportGraph = Map<string, string[]>

const SOURCE = /\.(ts|svelte)$/

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The script of a Svelte component (both blocks), where its imports are. */
function scriptOf(path: string, text: string): string {
  if (!path.endsWith('.svelte')) return text
  return [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n')
}

/** The file a relative specifier names, or undefined for a package or a non-source file. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = resolve(dirname(from), specifier.replace(/\?.*$/, ''))
  const candidates = [base, `${base}.ts`, `${base.replace(/\.js$/, '')}.ts`, join(base, 'index.ts')]
  return candidates.find((c) => SOURCE.test(c) && existsSync(c) && statSync(c).isFile())
}

/** Every source file under `root` (relative to `cwd`) with the source files it imports. */
export function importGraph(root = 'src', cwd = process.cwd()): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const file of walk(resolve(cwd, root))) {
    const info = ts.preProcessFile(scriptOf(file, readFileSync(file, 'utf8')), true, true)
    const targets = info.importedFiles
      .map((f) => resolveSpecifier(file, f.fileName))
      .filter((t): t is string => t !== undefined)
      .map((t) => relative(cwd, t))
    graph.set(relative(cwd, file), [...new Set(targets)])
  }
  return graph
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0
  const indexOf = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    indexOf.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!))
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v)
  return out
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? '')
if (isEntry) {
  const found = cycles(importGraph())
  for (const c of found) console.log(`cycle of ${c.length} files:\n  ${c.join('\n  ')}`)
  console.log(found.length === 0 ? 'No import cycle in src/.' : `${found.length} cycle(s).`)
  process.exit(found.length === 0 ? 0 : 1)
}
