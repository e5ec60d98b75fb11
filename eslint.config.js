// The house rules that run (`npm run lint`, called by .ci/run before the tests): the
// recommended JavaScript, TypeScript and Svelte rules, and the layer boundaries of
// ARCHITECTURE.md as import restrictions, so an import that crosses a layer fails here.
//
//   renderer → the contract and its own files only (it talks to the main side through lib/api)
//   contract → nothing from node, electron, the DOM or any other layer
//   engine   → no store, services, jobs, ipc, cli, server or electron
//   store    → no services, jobs, ipc, cli, server or electron
//   electron → only src/main/index.ts (the shell), src/main/ipc/ and src/preload/
//
// Formatting is Prettier's (.prettierrc.json, `npm run format`), not part of this check yet.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import svelte from 'eslint-plugin-svelte'
import svelteParser from 'svelte-eslint-parser'
import globals from 'globals'
import { builtinModules } from 'node:module'

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]

/** One forbidden layer: import paths (relative or bare) that reach it, and why not. */
const layer = (name, why) => ({ group: [`**/${name}`, `**/${name}/**`], message: why })
const electron = {
  name: 'electron',
  message: 'Only the shell (src/main/index.ts), src/main/ipc/ and src/preload/ use Electron.'
}

/** `no-restricted-imports` for an area: these layers and (unless allowed) Electron are off limits. */
function restrict({ layers = [], paths = [], patterns = [], allowElectron = false }) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: [...(allowElectron ? [] : [electron]), ...paths],
        patterns: [...layers, ...patterns]
      }
    ]
  }
}

const below = (area) =>
  `${area} sits below this layer; pass what it needs in instead of importing it.`

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'build/**',
      'node_modules/**',
      'resources/**',
      'src/main/engine/kernels/native/**',
      'src/main/engine/kernels/simd/**'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a value left out on purpose (a destructured field, an unused parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true
        }
      ],
      ...restrict({})
    }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parser: svelteParser,
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] }
    }
  },

  // ---- layer boundaries ----------------------------------------------------------------------
  {
    files: ['src/renderer/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict({
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'The renderer runs in a sandboxed page: no node modules.'
      })),
      patterns: [
        {
          group: ['**/main', '**/main/**', '**/preload', '**/preload/**'],
          message: 'The renderer reaches the main side only through lib/api and the contract.'
        }
      ]
    })
  },
  {
    files: ['src/contract/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': [
        'error',
        ...[
          'window',
          'document',
          'navigator',
          'localStorage',
          'process',
          'Buffer',
          'require',
          '__dirname'
        ].map((name) => ({
          name,
          message:
            'The contract runs unchanged in the renderer and in node: no DOM or node globals.'
        }))
      ],
      ...restrict({
        paths: nodeBuiltins.map((name) => ({
          name,
          message: 'The contract is plain types and validators, shared with the renderer.'
        })),
        patterns: [
          {
            group: ['../*', '../**'],
            message: 'The contract imports nothing from the other layers.'
          }
        ]
      })
    }
  },
  {
    files: ['src/main/engine/**/*.ts'],
    rules: restrict({
      layers: ['store', 'services', 'jobs', 'ipc', 'cli', 'server'].map((l) =>
        layer(l, `The engine computes; ${l}/ is above it.`)
      )
    })
  },
  {
    files: ['src/main/store/**/*.ts'],
    rules: restrict({
      layers: [
        ...['services', 'jobs', 'ipc', 'cli', 'server'].map((l) =>
          layer(l, `The store keeps data; ${l}/ is above it.`)
        )
      ]
    })
  },
  {
    files: ['src/main/services/**/*.ts', 'src/main/jobs/**/*.ts'],
    rules: restrict({
      layers: ['ipc', 'cli', 'server'].map((l) =>
        layer(l, `${l}/ is a front end over the services; ${below('this')}`)
      )
    })
  },
  {
    files: ['src/main/cli/**/*.ts'],
    rules: restrict({
      layers: ['ipc', 'server'].map((l) =>
        layer(l, `The command line is a front end of its own; ${l}/ is another.`)
      )
    })
  },
  {
    files: ['src/main/index.ts', 'src/main/ipc/**/*.ts', 'src/preload/**/*.ts'],
    rules: restrict({ allowElectron: true })
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: restrict({
      allowElectron: true,
      patterns: [
        {
          group: ['**/main', '**/main/**', '**/renderer/**'],
          message: 'The preload exposes the contract only.'
        }
      ]
    })
  },

  // ---- tests -----------------------------------------------------------------------------------
  {
    // Tests reach into every layer on purpose, and mock Electron (test/stubs/electron.ts).
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' }
  }
)
