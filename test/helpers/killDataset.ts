/** The dataset a kill -9 trial commits as its i-th write: deterministic, so its survival is checked byte for byte. */
import type { ImageDataset } from '../../src/main/engine/data/types'

export function killTrialDataset(i: number, count: number): ImageDataset {
  const size = 16 * 16 * 3
  const images = new Uint8Array(count * size)
  let x = (i * 2654435761) >>> 0 || 1
  for (let k = 0; k < images.length; k++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    images[k] = x & 255
  }
  const labels = Uint8Array.from({ length: count }, (_, k) => (k + i) % 3)
  return {
    name: `commit-${i}`,
    classNames: ['a', 'b', 'c'],
    height: 16,
    width: 16,
    channels: 3,
    train: { images, labels, count },
    validation: { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 },
    provenance: { trial: i }
  }
}
