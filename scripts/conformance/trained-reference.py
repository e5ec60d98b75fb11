#!/usr/bin/env python3
"""
PyTorch's input gradients for the conformance suite's trained models
(scripts/conformance/export-trained.ts wrote the models into the fixture folder and the images
into IMAGE_DIR): for every model and image, d CE(logits_i, y_i) / d x_i in inference mode
(batch norm with its moving statistics), computed in float32 (what a framework user gets)
and float64, stored NHWC as little-endian float32 next to the weights; trained-models.json
gathers the index.

    python3 scripts/conformance/trained-reference.py IMAGE_DIR FIXTURE_DIR

Needs Debian's python3-torch. make-trained-fixtures.sh runs the whole chain.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from torch_net import Net  # noqa: E402


def weights(fixture_dir, model, dtype):
    with gzip.open(os.path.join(fixture_dir, model['weights'])) as f:
        raw = np.frombuffer(f.read(), dtype='<f2').astype(np.float32)
    out, offset = {}, 0
    for entry in model['manifest']:
        n = int(np.prod(entry['shape'])) if entry['shape'] else 1
        out[entry['name']] = torch.tensor(raw[offset:offset + n].reshape(entry['shape']), dtype=dtype)
        offset += n
    assert offset == raw.size, 'manifest and weights disagree'
    return out


def gradients(net, x, labels, dtype):
    xs = torch.tensor(x, dtype=dtype, requires_grad=True)
    loss = F.cross_entropy(net(xs, False), torch.tensor(labels), reduction='sum')  # per image
    (g,) = torch.autograd.grad(loss, xs)
    return g.detach().double().numpy().reshape(x.shape[0], -1)


def cosines(a, b):
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))


def main():
    image_dir, fixture_dir = sys.argv[1:3]
    meta = json.load(open(os.path.join(image_dir, 'trained-models.json')))
    shape = meta['images']['shape']
    x = np.fromfile(os.path.join(image_dir, 'images.bin'), dtype='<f4').reshape(shape)
    labels = np.array(meta['images']['labels'], dtype=np.int64)
    for model in meta['models']:
        g = {}
        for name, dtype in (('torch32', torch.float32), ('torch64', torch.float64)):
            net = Net(model['architecture'], weights(fixture_dir, model, dtype))
            g[name] = gradients(net, x, labels, dtype)
            file = 'trained-%s.%s.bin' % (model['name'], name)
            g[name].astype('<f4').tofile(os.path.join(fixture_dir, file))
            model[name] = file
        assert all(np.abs(row).sum() > 0 for row in g['torch64']), 'an image has a zero gradient'
        model['torchFloat32MinCosine'] = float(cosines(g['torch32'], g['torch64']).min())
        print('%s: PyTorch float32 vs float64, worst image cosine %.9f' % (model['name'], model['torchFloat32MinCosine']))
    meta['torch'] = torch.__version__
    with open(os.path.join(fixture_dir, 'trained-models.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
