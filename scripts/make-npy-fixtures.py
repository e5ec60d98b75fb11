#!/usr/bin/env python3
"""NumPy .npy fixtures for the strict reader (src/main/engine/data/npy.ts) and `ortholens predict`.

Written with NumPy itself (np.save / np.lib.format), so the tests prove the reader against the
files users hand over, not against our own writer. Run once from the repository root:

    python3 scripts/make-npy-fixtures.py

Outputs (test/fixtures/npy/):
  cifar-opset17.nchw.npy   the cifar-opset17 ONNX fixture's 4 input images, float32 NCHW in [0, 1]
                           (the layout a PyTorch user has): predict must give the fixture's logits
  opzoo-opset17.nhwc.npy   the opzoo-opset17 fixture's images, float32 NHWC, saved as format 2.0
  float64.npy, fortran.npy, bigendian.npy, int32.npy, scalar.npy
                           small arrays the reader must refuse (or, scalar.npy, read as shape ())
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONNX = os.path.join(ROOT, 'test', 'fixtures', 'onnx')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'npy')


def fixture_images(name, shape):
    return np.fromfile(os.path.join(ONNX, f'{name}.input.bin'), dtype='<f4').reshape(shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    cifar = fixture_images('cifar-opset17', (4, 32, 32, 3))
    np.save(os.path.join(OUT, 'cifar-opset17.nchw.npy'), np.ascontiguousarray(cifar.transpose(0, 3, 1, 2)))
    opzoo = fixture_images('opzoo-opset17', (4, 28, 28, 1))
    with open(os.path.join(OUT, 'opzoo-opset17.nhwc.npy'), 'wb') as f:
        np.lib.format.write_array(f, opzoo, version=(2, 0))
    small = np.linspace(0, 1, 2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    np.save(os.path.join(OUT, 'float64.npy'), small.astype(np.float64))
    np.save(os.path.join(OUT, 'fortran.npy'), np.asfortranarray(small))
    np.save(os.path.join(OUT, 'bigendian.npy'), small.astype('>f4'))
    np.save(os.path.join(OUT, 'int32.npy'), (small * 255).astype(np.int32))
    np.save(os.path.join(OUT, 'scalar.npy'), np.float32(0.5))


if __name__ == '__main__':
    main()
