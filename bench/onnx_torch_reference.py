#!/usr/bin/env python3
"""
PyTorch side of bench/onnx.ts: torchvision's resnet18 (10 classes, seeded random weights).

    onnx_torch_reference.py --export DIR            writes DIR/resnet18.onnx (opset 17, any batch) and DIR/resnet18.pt
    onnx_torch_reference.py --time DIR [--images 1000] [--batch 100] [--threads 1] [--size 32]
        prints one JSON line {"predict_ms": …, "predict_cpu_ms": …}: the wall and CPU time to predict the images (no_grad, eval),
        after one warm-up batch, so interpreter and first-call costs are not counted.
"""
import argparse
import json
import os
import time

import torch
from torchvision.models import resnet18


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--export')
    p.add_argument('--time')
    p.add_argument('--images', type=int, default=1000)
    p.add_argument('--batch', type=int, default=100)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--size', type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.export:
        torch.manual_seed(0)
        m = resnet18(num_classes=10).eval()
        torch.save(m.state_dict(), os.path.join(a.export, 'resnet18.pt'))
        torch.onnx.export(m, torch.rand(1, 3, a.size, a.size), os.path.join(a.export, 'resnet18.onnx'), opset_version=17,
                          input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
        return
    m = resnet18(num_classes=10).eval()
    m.load_state_dict(torch.load(os.path.join(a.time, 'resnet18.pt')))
    x = torch.rand(a.images, 3, a.size, a.size)
    with torch.no_grad():
        m(x[: a.batch])
        t = time.perf_counter()
        c = time.process_time()
        for s in range(0, a.images, a.batch):
            m(x[s:s + a.batch])
        ms = (time.perf_counter() - t) * 1000
        cpu_ms = (time.process_time() - c) * 1000
    print(json.dumps({'predict_ms': ms, 'predict_cpu_ms': cpu_ms, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
