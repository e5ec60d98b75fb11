/**
 * Our own gradient registry in front of tf.registerGradient. tfjs silently lets the last
 * registration win (after a console warning), so two of our files claiming one kernel would
 * be an invisible bug; here a second claim throws instead.
 */
import { tf } from '../tf'
import { withoutReregistrationWarnings } from '../quietRegistration'

const ours = new Map<string, tf.GradConfig>()

/**
 * Installs `config` as the gradient of `config.kernelName`, replacing the stock tfjs one.
 * Throws if this project already registered a gradient for that kernel.
 */
export function registerOurGradient(config: tf.GradConfig): void {
  if (ours.has(config.kernelName)) {
    throw new Error(`Gradient for kernel "${config.kernelName}" is registered twice`)
  }
  ours.set(config.kernelName, config)
  withoutReregistrationWarnings(() => {
    tf.registerGradient(config)
  })
}

/** Kernel names whose gradient this project replaced (for reports and tests). */
export function ourGradientKernels(): string[] {
  return [...ours.keys()]
}
