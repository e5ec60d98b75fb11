#!/usr/bin/env python3
"""
An ONNX model exported by PyTorch whose max pools meet ties everywhere, with PyTorch's input
gradient, for test/main/engine/conformance/onnxPoolTies.test.ts: the engine must give an
imported model's MaxPool and GlobalMaxPool PyTorch's gradient rule (the first maximum of a
window in scan order takes all of dy), not a shared one.

Ties are exact on both sides by construction: every weight is a small multiple of a power of
two and every pixel a multiple of 1/4, so each convolution output is an exact float32 sum
whatever the order of summation, and flat image regions give bit-equal window entries.

    python3 scripts/conformance/onnx-pool-ties.py [OUT_DIR]   # default test/fixtures/conformance

Writes onnx-pool-ties.onnx and onnx-pool-ties.json (images NHWC in [0, 1], labels, PyTorch's
float64 logits and d sum(CE) / d input, NHWC). Needs Debian's python3-torch and python3-onnx.
"""
import json
import os
import sys

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F


class TieNet(nn.Module):
    """conv 3x3 -> ReLU -> MaxPool(3, stride 2, pad 1) -> conv 1x1 -> ReLU -> MaxPool(2, ceil)
    -> AdaptiveMaxPool(1) (GlobalMaxPool in ONNX) -> Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 3, 3, padding=1)
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(3, 4, 1)
        self.pool2 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.pool3 = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(4, 3)
        with torch.no_grad():
            # Sobel-like, box and centre filters: integers over powers of two.
            self.conv1.weight.copy_(torch.tensor([
                [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
                [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
                [[0, -1, 0], [-1, 4, -1], [0, -1, 0]],
            ], dtype=torch.float32).view(3, 1, 3, 3) / 4)
            self.conv1.bias.copy_(torch.tensor([0.25, -0.5, 0.125]))
            self.conv2.weight.copy_(torch.tensor([
                [1, 0.5, -1], [0, 1, 0.5], [-0.5, 1, 1], [1, -1, 0.25]
            ]).view(4, 3, 1, 1))
            self.conv2.bias.copy_(torch.tensor([0.5, 0.25, 0.0, 0.75]))
            self.fc.weight.copy_(torch.tensor([[1, -0.5, 0.25, 0.5], [-0.25, 1, -1, 0.5], [0.5, 0.25, 1, -1]]))
            self.fc.bias.copy_(torch.tensor([0.0, 0.125, -0.25]))

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool3(self.pool2(F.relu(self.conv2(x))))
        return self.fc(torch.flatten(x, 1))


def images(n, size):
    """Flat rectangles of levels 0, 1/4, 1/2, 3/4, 1 on a flat background: ties in every pool."""
    gen = torch.Generator().manual_seed(7)
    x = torch.zeros(n, 1, size, size)
    for i in range(n):
        x[i] = int(torch.randint(0, 5, (1,), generator=gen)) / 4
        for _ in range(3):
            top, left = (int(v) for v in torch.randint(0, size - 3, (2,), generator=gen))
            h, w = (int(v) for v in torch.randint(2, 7, (2,), generator=gen))
            x[i, 0, top:top + h, left:left + w] = int(torch.randint(0, 5, (1,), generator=gen)) / 4
    return x


def as_global_max_pool(path):
    """torch.onnx writes AdaptiveMaxPool2d(1) as a MaxPool over the whole map (the last one);
    GlobalMaxPool is the same function, written by other exporters: use it, so both operators
    are checked against PyTorch's rule for a max over a window."""
    model = onnx.load(path)
    pools = [i for i, node in enumerate(model.graph.node) if node.op_type == 'MaxPool']
    last = model.graph.node[pools[-1]]
    model.graph.node.insert(pools[-1], onnx.helper.make_node(
        'GlobalMaxPool', list(last.input), list(last.output), name='global_max_pool'))
    model.graph.node.remove(last)
    onnx.save(model, path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'conformance')
    os.makedirs(out, exist_ok=True)
    model = TieNet().eval()
    size, n = 13, 6
    x32 = images(n, size)
    path = os.path.join(out, 'onnx-pool-ties.onnx')
    torch.onnx.export(model, x32[:1], path, opset_version=17, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    as_global_max_pool(path)
    onnx.checker.check_model(onnx.load(path))
    ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    assert 'MaxPool' in ops and 'GlobalMaxPool' in ops, ops
    labels = torch.tensor([i % 3 for i in range(n)])
    model64 = TieNet().double().eval()
    model64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    x = x32.double().requires_grad_(True)
    logits = model64(x)
    (gradient,) = torch.autograd.grad(F.cross_entropy(logits, labels, reduction='sum'), x)
    assert all(float(g.abs().sum()) > 0 for g in gradient), 'an image has a zero gradient'
    meta = {
        'model': 'onnx-pool-ties.onnx', 'opset': 17, 'operators': ops, 'inputShape': [size, size, 1],
        'images': x32.permute(0, 2, 3, 1).reshape(n, -1).tolist(),
        'labels': labels.tolist(),
        'logits': logits.detach().tolist(),
        'gradient': gradient.permute(0, 2, 3, 1).reshape(n, -1).tolist(),
        'torch': torch.__version__,
    }
    with open(os.path.join(out, 'onnx-pool-ties.json'), 'w') as f:
        json.dump(meta, f)
        f.write('\n')
    print(f'onnx-pool-ties: ops {", ".join(ops)}; {n} images {size}x{size}')


if __name__ == '__main__':
    main()
