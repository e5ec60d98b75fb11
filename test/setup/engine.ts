/**
 * Vitest set-up, run in every test worker before its test file: installs the engine's
 * kernels and gradients, as initBackend() does in the app, so a test that runs tensor code
 * on tfjs's default backend without choosing one still runs the project's engine.
 */
import { installEngine } from '../../src/main/engine/install'

installEngine()
