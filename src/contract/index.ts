/** The typed contract between the renderer and the main side: types, validators, limits and name lists; no node, no DOM. */
export * from './entities'
export * from './errors'
export * from './events'
export * from './requests'
export * from './jobs'
export * from './limits'
export * from './names'
export { s, ValidationError, type Infer, type Schema } from './validate'
