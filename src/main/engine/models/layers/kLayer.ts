/**
 * One layer of a Keras topology as the reader hands it to the converters. Its own module
 * because the topology reader (topology.ts) names the converters' refusal hints and the
 * converters (kerasLayers.ts) name this type: either holding it would make an import cycle.
 */

/** One layer of the topology, with the names of the layers feeding it. */
export interface KLayer {
  className: string
  name: string
  config: Record<string, unknown>
  inbound: string[]
}
